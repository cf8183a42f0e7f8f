import Foundation
import GatehouseJSON
import PluginKit

/// Outbound webhooks signed per the Standard Webhooks specification: every host and plugin event
/// an endpoint's filter takes is written to the outbox `webhookDelivery` before the request that
/// caused it answers, sent at once, retried with exponential backoff and jitter by a sweep that
/// runs every second, and declared `dead` after `retry.maxAttempts`. Requests go out through the
/// host's `http.dispatch` (no worker waits on a slow receiver; redirects not followed; private
/// addresses refused unless `allowPrivateNetworks`). Administrators list and resend deliveries, on
/// its routes or through another plugin's call of its services (`WebhooksServices`).
struct WebhooksPlugin: GatehousePlugin {
    static let id = "webhooks"
    static let version = "1.0.0"
    static let name = "Webhooks"
    static let manifest = WebhooksManifest.json
    /// Rows one sweep sends at most; the rest wait for the next second.
    static let sweepBatch = 100

    let outbox: WebhookOutbox
    let routes: DeliveryRoutes
    let services: WebhooksServices

    init(host: PluginHost, settings json: JSONValue) throws {
        let settings = try WebhooksSettings(json) { key, message in
            guard let mac = host.hmacSHA256(key: key, message) else {
                throw PluginError(status: 500, code: "SIGNING_FAILED", message: "the host could not compute an HMAC-SHA256")
            }
            return mac
        }
        let db = PluginDatabase(host: host)
        outbox = WebhookOutbox(host: host, db: db, settings: settings)
        routes = DeliveryRoutes(db: db, outbox: outbox, adminUserIDs: settings.adminUserIDs)
        services = WebhooksServices(routes: routes)
        for id in settings.privateURLs {
            host.log(.warning, "plugins.webhooks endpoint \(id) names a loopback or private host: its deliveries will be refused (dead) unless allowPrivateNetworks is true")
        }
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .event:
            guard let type = call.envelope["name"]?.stringValue else { return .result([:]) }
            for row in try outbox.enqueue(eventType: type, data: call.envelope["payload"] ?? .null, at: Date()) {
                try outbox.attempt(row)
            }
            return .result([:])
        case .job where call.envelope["name"]?.stringValue == WebhooksManifest.attemptedJob:
            try outbox.record(call.envelope["payload"] ?? .null, at: Date())
            return .result([:])
        case .job:
            let due = try outbox.due(at: Date(), limit: Self.sweepBatch)
            for row in due { try outbox.attempt(row) }
            return .result(["attempted": .int(due.count)])
        case .endpoint(WebhooksManifest.deliveriesRoute):
            return try routes.deliveries(call)
        case .endpoint(WebhooksManifest.redeliverRoute):
            return try routes.redeliver(call)
        case .service(let index) where WebhooksServices.names.indices.contains(index):
            return .result(try services.answer(index, call.envelope["request"] ?? [:]).objectValue ?? [:])
        default:
            return .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: WebhooksPlugin.self) }
