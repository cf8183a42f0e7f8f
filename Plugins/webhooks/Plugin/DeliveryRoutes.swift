import Foundation
import GatehouseJSON
import PluginKit

/// The administrators' routes: the deliveries and redelivery, for `adminUserIds` only. The
/// services (`WebhooksServices`) do the same for another plugin, which decides who may ask.
struct DeliveryRoutes: Sendable {
    let db: PluginDatabase
    let outbox: WebhookOutbox
    let adminUserIDs: Set<String>

    /// `GET /webhooks/deliveries?status&endpointId&eventType&limit&offset` → `{deliveries, total}`.
    func deliveries(_ call: PluginCall) throws -> PluginAnswer {
        try requireAdmin(call)
        return .json(try listing(call))
    }

    /// `{deliveries, total}` for the call's query (also the `listDeliveries` service's): newest
    /// first, without `payload` and `lockedUntil`.
    func listing(_ call: PluginCall) throws -> JSONValue {
        var conditions: [PluginDatabase.Condition] = []
        if let status = call.query("status") {
            guard WebhookOutbox.statuses.contains(status) else {
                throw PluginError(code: "INVALID_QUERY", message: "status must be pending, delivered or dead")
            }
            conditions.append(PluginDatabase.equals("status", .string(status)))
        }
        for filter in ["endpointId", "eventType"] {
            if let value = call.query(filter) { conditions.append(PluginDatabase.equals(filter, .string(value))) }
        }
        let page = try PageQuery(call, defaultLimit: 50, maximumLimit: 500)
        let rows = try db.findMany(WebhookOutbox.table, conditions, orderBy: "createdAt", descending: true, limit: page.limit, offset: page.offset)
        let shown = rows.map { row in
            JSONValue.object((row.objectValue ?? [:]).filter { $0.key != "payload" && $0.key != "lockedUntil" })
        }
        return ["deliveries": .array(shown), "total": .int(try db.count(WebhookOutbox.table, conditions))]
    }

    /// `POST /webhooks/redeliver {id}` → `{status: true}`.
    func redeliver(_ call: PluginCall) throws -> PluginAnswer {
        try requireAdmin(call)
        return .json(try redeliver(call.body))
    }

    /// `{id}` → `{status: true}` (also the `redeliver` service).
    func redeliver(_ request: JSONValue) throws -> JSONValue {
        guard let id = request["id"]?.stringValue, !id.isEmpty else {
            throw PluginError(code: "VALIDATION_ERROR", message: "id is required: the id of a webhook delivery")
        }
        try outbox.redeliver(id, at: Date())
        return ["status": true]
    }

    private func requireAdmin(_ call: PluginCall) throws {
        guard let userID = call.session?["user"]?["id"]?.stringValue else {
            throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized")
        }
        guard adminUserIDs.contains(userID) else {
            throw PluginError(status: 403, code: "FORBIDDEN", message: "Only webhook administrators may see or resend deliveries")
        }
    }
}
