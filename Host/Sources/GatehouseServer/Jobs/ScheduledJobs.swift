import Foundation
import GatehouseJSON
import GatehouseStorage

/// One-off work asked for with `jobs.schedule` (ABI 1.2), kept in `gatehouseScheduledJob` until
/// it has run, so it survives restarts. The payload is stored as JSON text, so it arrives
/// exactly as given (a `jsonb` column would reorder its keys).
struct ScheduledJobs: Sendable {
    static let table = TableSchema(name: "gatehouseScheduledJob", fields: [
        Field("plugin", .string),
        Field("name", .string),
        Field("payload", .string),
        Field("runAt", .date, indexed: true),
        Field("createdAt", .date, defaultValue: .now),
    ])

    let adapter: Adapter

    /// Stores one run of `plugin`'s job `name`; returns the stored row.
    func add(plugin: String, name: String, runAt: Date, payload: JSONValue) async throws -> Record {
        try await adapter.create(Self.table.name, ["plugin": .string(plugin), "name": .string(name), "runAt": .date(runAt),
                                                   "payload": .string(payload.serialized())])
    }

    /// The oldest work of `plugin`'s job `name` due by `now`. Asked job by job, so a backlog
    /// of one job (or of one no plugin declares any more) never hides another's.
    func due(plugin: String, name: String, at now: Date) async throws -> Record? {
        try await adapter.findMany(Self.table.name, where: [
            Condition("runAt", .lte, .date(now)), Condition("plugin", .eq, .string(plugin)), Condition("name", .eq, .string(name)),
        ], orderBy: SortOrder("runAt"), limit: 1).first
    }

    func find(_ id: String) async throws -> Record? {
        try await adapter.findOne(Self.table.name, where: [Condition("id", .eq, .string(id))])
    }

    func remove(_ id: String) async throws {
        try await adapter.delete(Self.table.name, where: [Condition("id", .eq, .string(id))])
    }

    /// What the job receives: `{name, payload, id, runAt, scheduledAt}`.
    static func envelope(_ row: Record) -> JSONValue {
        let payload = row.string("payload").flatMap { try? JSONValue.parse($0) } ?? .null
        return ["name": .string(row.string("name") ?? ""), "payload": payload, "id": .string(row.id),
                "runAt": row["runAt"]?.json ?? .null, "scheduledAt": row["createdAt"]?.json ?? .null]
    }
}
