import GatehouseJSON
import PluginKit

/// `GET /console/webhooks?status=&page=` and `POST /console/webhooks/<id>/redeliver`, through
/// the webhooks plugin's `listDeliveries` and `redeliver` (a dead delivery starts again from its
/// first attempt, with the same `webhook-id`). Without that plugin the page says so.
struct WebhooksPage: Sendable {
    static let statuses = ["pending", "delivered", "dead"]

    let context: ConsoleContext

    func show(_ visit: Visit) throws -> PluginAnswer {
        let viewer = try visit.actor
        var page = try page(visit)
        if let refusal = page.alert { page.status = refusal.consoleStatus }
        return context.show(page, to: viewer)
    }

    func redeliver(_ visit: Visit) throws -> PluginAnswer {
        let viewer = try visit.actor
        let id = try visit.param("id")
        do {
            guard try context.optionalService("webhooks", "redeliver", ["id": .string(id)]) != nil else {
                throw ConsoleError.pluginNotLoaded.failure(message: "The webhooks plugin is not loaded")
            }
        } catch let refusal as PluginError where refusal.isRefusal {
            var page = try page(visit)
            page.status = refusal.consoleStatus
            page.alert = refusal
            return context.show(page, to: viewer)
        }
        return context.done("Delivery \(id) queued again.", for: viewer, returnTo: context.paths.page("webhooks"))
    }

    /// The listing; a refusal of its filter (400 `INVALID_QUERY` for an unknown status) is the
    /// page's alert, with no rows.
    private func page(_ visit: Visit) throws -> Page {
        let paging = try Paging(visit, size: context.settings.pageSize)
        let status = visit.call.method == "GET" ? visit.query("status") : ""
        var values: [String: Any] = [
            "missing": false, "hasRows": false,
            "statuses": ([("", "Any")] + Self.statuses.map { ($0, $0) }).map { ["value": $0.0, "label": $0.1, "selected": $0.0 == status] },
        ]
        var page = Page(template: "webhooks", title: "Webhooks", section: .webhooks)
        var request: [(String, JSONValue)] = [("limit", .int(paging.size + 1)), ("offset", .int(paging.offset))]
        if !status.isEmpty { request.append(("status", .string(status))) }
        do {
            if let answer = try context.optionalService("webhooks", "listDeliveries", .object(.init(uniqueKeysWithValues: request))) {
                let deliveries = answer["deliveries"]?.arrayValue ?? []
                let rows = deliveries.prefix(paging.size).map(row)
                values["rows"] = Array(rows)
                values["hasRows"] = !rows.isEmpty
                values["paging"] = paging.values(context.paths.page("webhooks"), query: [("status", status)], hasNext: deliveries.count > paging.size)
            } else {
                values["missing"] = true
            }
        } catch let refusal as PluginError where refusal.isRefusal {
            page.alert = refusal
        }
        page.values = values
        return page
    }

    private func row(_ delivery: JSONValue) -> [String: Any] {
        let id = delivery["id"]?.stringValue ?? ""
        let status = delivery["status"]?.displayText ?? ""
        var lastError = delivery["lastError"]?.displayText ?? ""
        if let code = delivery["lastStatusCode"]?.intValue { lastError = lastError.isEmpty ? "HTTP \(code)" : "HTTP \(code): \(lastError)" }
        return [
            "id": id, "endpoint": delivery["endpointId"]?.displayText ?? "", "eventType": delivery["eventType"]?.displayText ?? "",
            "status": status, "attempts": delivery["attempts"]?.displayText ?? "", "lastError": lastError,
            "created": DisplayTime.value(delivery["createdAt"]), "dead": status == "dead",
            "redeliver": context.paths.page("webhooks", id, "redeliver"),
        ]
    }
}
