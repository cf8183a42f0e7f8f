import Foundation
import GatehouseStorage

/// The database lease that lets one run of a job happen at a time across every instance on the
/// database (ABI 1.2). Each declared job has a row in `gatehouseJob`; an instance runs the job
/// only after claiming that row with a conditional UPDATE (the lease has expired, and for a
/// periodic run it is due), which on PostgreSQL as on SQLite exactly one claimant wins. The
/// holder renews the lease while the run goes on; if its process dies, the lease expires soon.
struct JobLeases: Sendable {
    static let table = TableSchema(name: "gatehouseJob", fields: [
        Field("plugin", .string),
        Field("name", .string),
        /// When a periodic job is due next (null for a job that runs only when scheduled).
        Field("nextRunAt", .date, required: false),
        Field("leaseHolder", .string, required: false),
        /// A lease nobody holds has expired: released leases are set to the time of release.
        Field("leaseExpiresAt", .date),
    ], uniqueTogether: [["plugin", "name"]])

    /// Short, so the work of a killed process resumes soon after; renewed well before it ends.
    static let duration: TimeInterval = 15
    static let renewalInterval: Duration = .seconds(5)

    let database: any Database
    let adapter: Adapter
    /// This process's name in `leaseHolder`.
    let holder: String

    /// The lease rows of every job of `plugins`.
    func rows(of plugins: [String]) async throws -> [Record] {
        try await adapter.findMany(Self.table.name, where: [.any("plugin", of: plugins.map(DBValue.string))])
    }

    /// Creates the row of a job seen for the first time (a periodic one is due at once); a row
    /// another instance made meanwhile is kept.
    func ensure(plugin: String, name: String, periodic: Bool) async throws {
        let adapter = self.adapter
        try await database.transaction { tx in
            let locked = adapter.using(tx)
            try await locked.serialize(on: "job:\(plugin)/\(name)")
            let key = [Condition("plugin", .eq, .string(plugin)), Condition("name", .eq, .string(name))]
            guard try await locked.findOne(Self.table.name, where: key) == nil else { return }
            let now = Date()
            try await locked.create(Self.table.name, ["plugin": .string(plugin), "name": .string(name),
                                                      "nextRunAt": periodic ? .date(now) : .null, "leaseExpiresAt": .date(now)])
        }
    }

    /// Claims the lease of row `id` if it is free; for a periodic run (`every` seconds) only when
    /// it is due, and then the next run is due `every` seconds from now.
    func claim(_ id: String, every: Int? = nil) async throws -> Bool {
        let now = Date()
        var conditions = [Condition("id", .eq, .string(id)), Condition("leaseExpiresAt", .lte, .date(now))]
        var changes: Record = ["leaseHolder": .string(holder), "leaseExpiresAt": .date(now.addingTimeInterval(Self.duration))]
        if let every {
            conditions.append(Condition("nextRunAt", .lte, .date(now)))
            changes["nextRunAt"] = .date(now.addingTimeInterval(TimeInterval(every)))
        }
        return try await !adapter.update(Self.table.name, where: conditions, set: changes).isEmpty
    }

    /// Makes a periodic job due now when its row does not fit its interval: it was declared
    /// without one before, or its next run lies further off than a (since shortened) interval.
    func realign(_ row: Record, every: Int) async throws {
        let now = Date()
        let id = Condition("id", .eq, .string(row.id))
        if row.date("nextRunAt") == nil {
            try await adapter.update(Self.table.name, where: [id, Condition("nextRunAt", .eq, .null)], set: ["nextRunAt": .date(now)])
        } else if let next = row.date("nextRunAt"), next > now.addingTimeInterval(TimeInterval(every)) {
            let bound = Condition("nextRunAt", .gt, .date(now.addingTimeInterval(TimeInterval(every))))
            try await adapter.update(Self.table.name, where: [id, bound], set: ["nextRunAt": .date(now)])
        }
    }

    /// Extends a held lease; false when it is no longer ours (it expired and was claimed again).
    func renew(_ id: String) async throws -> Bool {
        try await !adapter.update(Self.table.name, where: held(id),
                                  set: ["leaseExpiresAt": .date(Date().addingTimeInterval(Self.duration))]).isEmpty
    }

    func release(_ id: String) async throws {
        try await adapter.update(Self.table.name, where: held(id), set: ["leaseHolder": .null, "leaseExpiresAt": .date(Date())])
    }

    private func held(_ id: String) -> [Condition] {
        [Condition("id", .eq, .string(id)), Condition("leaseHolder", .eq, .string(holder))]
    }

    /// Whether no one holds the lease of `row` at `now`.
    static func isFree(_ row: Record, at now: Date) -> Bool {
        (row.date("leaseExpiresAt") ?? .distantPast) <= now
    }
}
