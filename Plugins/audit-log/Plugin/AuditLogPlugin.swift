import GatehouseJSON
import PluginKit

/// A record of security events in the table `auditLog`: the host's user, session, sign-in,
/// password, e-mail and account events (not `user.updated`), two-factor changes and organization
/// memberships, each written before the request that caused it answers (`"sync": true`), kept
/// after the user is deleted, and purged after `retentionDays` by an hourly job. Users read their
/// own entries; the users in `adminUserIds` read everyone's; other plugins list and count entries
/// through its services (`AuditServices`).
struct AuditLogPlugin: GatehousePlugin {
    static let id = "audit-log"
    static let version = "1.0.0"
    static let name = "Audit log"
    static let manifest = AuditLogManifest.json

    let recorder: AuditRecorder
    let reader: AuditReader
    let services: AuditServices

    init(host: PluginHost, settings: JSONValue) throws {
        let settings = try AuditLogSettings(settings)
        let db = PluginDatabase(host: host)
        recorder = AuditRecorder(db: db, retentionDays: settings.retentionDays)
        reader = AuditReader(db: db, adminUserIDs: settings.adminUserIDs)
        services = AuditServices(reader: reader)
        // The periodic job keeps its schedule across restarts; this run makes "at start" hold.
        if settings.retentionDays > 0 { try host.scheduleJob(AuditLogManifest.purgeJob) }
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .event:
            try recorder.record(call.envelope)
            return .result([:])
        case .job:
            return .result(["purged": .int(try recorder.purge())])
        case .endpoint(AuditLogManifest.ownListRoute):
            return try reader.ownEntries(call)
        case .endpoint(AuditLogManifest.adminListRoute):
            return try reader.anyEntries(call)
        case .service(let index) where AuditServices.names.indices.contains(index):
            return .result(try services.answer(index, call.envelope["request"] ?? [:]).objectValue ?? [:])
        default:
            return .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: AuditLogPlugin.self) }
