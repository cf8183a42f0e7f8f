import Foundation
import GatehouseJSON
import PluginKit

/// The services other plugins call (ABI 1.2), for an operator's console. There is no permission
/// check: the calling plugin decides who may ask.
/// - `list {userId?, type?, since? (ISO date), limit?, offset?}` → `{entries, total}`, newest first,
///   paged as the routes page (`limit` default 50, at most 500; numbers or text).
/// - `count {userId?, type?, since?}` → `{count}`.
struct AuditServices: Sendable {
    let reader: AuditReader

    /// `services[index]` of the manifest.
    static let names = ["list", "count"]

    func answer(_ index: Int, _ request: JSONValue) throws -> JSONValue {
        var since: Date?
        if let text = request["since"]?.nonNull {
            guard let date = ISODate.parse(text) else { throw PluginError(code: "INVALID_QUERY", message: "since must be an ISO 8601 date") }
            since = date
        }
        let conditions = AuditReader.filters(userID: request["userId"]?.stringValue, type: request["type"]?.stringValue, since: since)
        guard index == 0 else { return ["count": .int(try reader.db.count("auditLog", conditions))] }
        let query = PluginCall(kind: .service(index), envelope: ["query": PluginCall.query(from: request)])
        return try reader.entries(try PageQuery(query, defaultLimit: AuditReader.defaultLimit, maximumLimit: AuditReader.maximumLimit), matching: conditions)
    }
}
