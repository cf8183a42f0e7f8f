import GatehouseJSON
import PluginKit

/// The services other plugins call (ABI 1.2), for an operator's console; the calling plugin
/// decides who may ask.
/// - `listDeliveries {status?, endpointId?, eventType?, limit?, offset?}` → `{deliveries, total}`
///   as `GET /webhooks/deliveries` (numbers or text; 400 `INVALID_QUERY`).
/// - `redeliver {id}` → `{status: true}` as `POST /webhooks/redeliver` (404 `DELIVERY_NOT_FOUND`, 409 …).
struct WebhooksServices: Sendable {
    let routes: DeliveryRoutes

    /// `services[index]` of the manifest.
    static let names = ["listDeliveries", "redeliver"]

    func answer(_ index: Int, _ request: JSONValue) throws -> JSONValue {
        guard index == 0 else { return try routes.redeliver(request) }
        return try routes.listing(PluginCall(kind: .service(index), envelope: ["query": PluginCall.query(from: request)]))
    }
}
