import Foundation
import GatehouseJSON

/// The host's `db.*` operations (docs/plugin-abi.md §11) with conditions as tuples.
public struct PluginDatabase: Sendable {
    public typealias Condition = (field: String, op: String, value: JSONValue)

    let host: PluginHost

    public init(host: PluginHost) { self.host = host }

    public static func equals(_ field: String, _ value: JSONValue) -> Condition { (field, "=", value) }

    public func findOne(_ table: String, _ conditions: [Condition]) throws -> JSONValue? {
        let row = try host.call("db.findOne", ["table": .string(table), "where": Self.encode(conditions)])["row"]
        return row?.nonNull
    }

    public func findMany(_ table: String, _ conditions: [Condition]) throws -> [JSONValue] {
        try host.call("db.findMany", ["table": .string(table), "where": Self.encode(conditions)])["rows"]?.arrayValue ?? []
    }

    /// The rows matching every condition, sorted by `orderBy` (`descending` for newest first), from
    /// `offset` on, at most `limit` of them.
    public func findMany(_ table: String, _ conditions: [Condition], orderBy field: String, descending: Bool = false,
                         limit: Int? = nil, offset: Int = 0) throws -> [JSONValue] {
        let request: JSONValue = ["table": .string(table), "where": Self.encode(conditions),
                                  "orderBy": ["field": .string(field), "direction": descending ? "desc" : "asc"],
                                  "limit": limit.map(JSONValue.int) ?? .null, "offset": .int(offset)]
        return try host.call("db.findMany", request)["rows"]?.arrayValue ?? []
    }

    /// How many rows match every condition.
    public func count(_ table: String, _ conditions: [Condition]) throws -> Int {
        try host.call("db.count", ["table": .string(table), "where": Self.encode(conditions)])["count"]?.intValue ?? 0
    }

    @discardableResult
    public func create(_ table: String, _ data: JSONValue) throws -> JSONValue {
        try host.call("db.create", ["table": .string(table), "data": data])["row"] ?? .null
    }

    /// Updates the rows matching every condition; the number updated tells a compare-and-swap
    /// whether it won.
    @discardableResult
    public func update(_ table: String, _ conditions: [Condition], _ data: JSONValue) throws -> Int {
        try host.call("db.update", ["table": .string(table), "where": Self.encode(conditions), "data": data])["rows"]?.arrayValue?.count ?? 0
    }

    @discardableResult
    public func delete(_ table: String, _ conditions: [Condition]) throws -> Int {
        try host.call("db.delete", ["table": .string(table), "where": Self.encode(conditions)])["rows"]?.arrayValue?.count ?? 0
    }

    private static func encode(_ conditions: [Condition]) -> JSONValue {
        .array(conditions.map { ["field": .string($0.field), "operator": .string($0.op), "value": $0.value] })
    }
}

/// ISO-8601 dates as the host's `db.*` operations read and write them: written like JavaScript's
/// `toISOString` (`2026-11-23T01:26:20.687Z`); read with or without fractional seconds and zone
/// (no zone: UTC).
public enum ISODate {
    public static func parse(_ value: JSONValue?) -> Date? {
        guard let text = value?.stringValue else { return nil }
        return (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: .iso8601))
    }

    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
