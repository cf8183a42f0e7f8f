import GatehouseJSON
import PluginKit

/// The host's `db.*` operations (docs/plugin-abi.md §11) with conditions as tuples.
struct Database: Sendable {
    typealias Condition = (field: String, op: String, value: JSONValue)

    let host: PluginHost

    static func equals(_ field: String, _ value: JSONValue) -> Condition { (field, "=", value) }

    func findOne(_ table: String, _ conditions: [Condition]) throws -> JSONValue? {
        let row = try host.call("db.findOne", ["table": .string(table), "where": Self.encode(conditions)])["row"]
        return row?.nonNull
    }

    func findMany(_ table: String, _ conditions: [Condition]) throws -> [JSONValue] {
        try host.call("db.findMany", ["table": .string(table), "where": Self.encode(conditions)])["rows"]?.arrayValue ?? []
    }

    @discardableResult
    func create(_ table: String, _ data: JSONValue) throws -> JSONValue {
        try host.call("db.create", ["table": .string(table), "data": data])["row"] ?? .null
    }

    /// Updates the rows matching every condition; the number updated tells a compare-and-swap
    /// whether it won.
    @discardableResult
    func update(_ table: String, _ conditions: [Condition], _ data: JSONValue) throws -> Int {
        try host.call("db.update", ["table": .string(table), "where": Self.encode(conditions), "data": data])["rows"]?.arrayValue?.count ?? 0
    }

    @discardableResult
    func delete(_ table: String, _ conditions: [Condition]) throws -> Int {
        try host.call("db.delete", ["table": .string(table), "where": Self.encode(conditions)])["rows"]?.arrayValue?.count ?? 0
    }

    private static func encode(_ conditions: [Condition]) -> JSONValue {
        .array(conditions.map { ["field": .string($0.field), "operator": .string($0.op), "value": $0.value] })
    }
}
