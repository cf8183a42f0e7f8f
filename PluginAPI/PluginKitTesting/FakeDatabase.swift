import Foundation
import GatehouseJSON
import GatehousePluginABI

/// The fake host's database: its tables behind a lock. Every statement and every transaction
/// runs on a copy that replaces the tables only when it succeeds, so each is all or nothing.
final class FakeDatabase: @unchecked Sendable {
    private let lock = NSLock()
    private var tables: FakeTables

    init(schema: [String: FakeTable]) { tables = FakeTables(schema: schema) }

    func perform<T>(_ body: (inout FakeTables) throws -> T) throws -> T {
        try lock.withLock {
            var copy = tables
            let result = try body(&copy)
            tables = copy
            return result
        }
    }

    func read<T>(_ body: (FakeTables) throws -> T) rethrows -> T {
        try lock.withLock { try body(tables) }
    }
}

/// The `db.*` operations for one plugin (docs/plugin-abi.md §11, as the host's
/// PluginDatabaseAccess): the core tables and the plugin's own only, a non-empty `where` for
/// update and delete, and every stored field, secrets included, in the answers.
struct FakeDatabaseAccess {
    let pluginID: String
    let ownTables: Set<String>

    func run(_ operation: String, _ input: JSONValue, on tables: inout FakeTables, now: Date) throws -> JSONValue {
        let table = try HostFailure.required(input, "table")
        guard FakeSchema.coreTables.contains(table) || (ownTables.contains(table) && tables.schema[table] != nil) else {
            throw HostFailure(status: GH_DENIED, code: "TABLE_NOT_ALLOWED", message: "plugin \(pluginID) may not use table \"\(table)\"")
        }
        let conditions = try tables.conditions(input["where"], table: table)
        if ["db.update", "db.delete"].contains(operation), conditions.isEmpty {
            throw HostFailure.invalid("WHERE_REQUIRED", "\(operation) needs a non-empty \"where\"")
        }
        let rows: ([Row]) -> JSONValue = { .array($0.map(JSONValue.object)) }
        switch operation {
        case "db.create":
            return ["row": .object(try tables.create(table, try tables.record(table, input["data"]), now: now))]
        case "db.findOne":
            return ["row": try tables.find(table, conditions, limit: 1).first.map(JSONValue.object) ?? .null]
        case "db.findMany":
            let order = input["orderBy"]?["field"]?.stringValue.map { (field: $0, descending: input["orderBy"]?["direction"]?.stringValue == "desc") }
            return ["rows": rows(try tables.find(table, conditions, orderBy: order, limit: input["limit"]?.intValue, offset: input["offset"]?.intValue))]
        case "db.update":
            return ["rows": rows(try tables.update(table, conditions, try tables.record(table, input["data"]), now: now))]
        case "db.delete":
            return ["rows": rows(try tables.delete(table, conditions))]
        case "db.count":
            return ["count": .int(try tables.find(table, conditions).count)]
        default:
            throw HostFailure(status: GH_UNSUPPORTED, code: "UNSUPPORTED_OPERATION", message: "unknown database operation \"\(operation)\"")
        }
    }

    /// `db.transaction {operations: [{op, table, …}]}`: run on one copy by the caller, so all or nothing.
    func transaction(_ input: JSONValue, on tables: inout FakeTables, now: Date) throws -> JSONValue {
        var results: [JSONValue] = []
        for operation in input["operations"]?.arrayValue ?? [] {
            results.append(try run(operation["op"]?.stringValue ?? "", operation, on: &tables, now: now))
        }
        return ["results": .array(results)]
    }
}
