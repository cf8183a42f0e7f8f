import Foundation
import GatehouseJSON
import OrderedCollections
import PluginKit

typealias Row = OrderedDictionary<String, JSONValue>

/// The fake database's rows, with the rules of the real one: values converted by field type
/// (dates kept as ISO-8601 text), ids and defaults filled in, `onUpdate: "now"`, unique fields
/// and `uniqueTogether`, foreign keys and their `onDelete`. It is a value: `FakeDatabase` runs
/// each statement or transaction on a copy, so a failure changes nothing.
struct FakeTables: Sendable {
    /// One `where` entry: `=`, `<>`, `<`, `<=`, `>`, `>=` with one value, or `IN` with a list.
    struct Condition {
        let field: String
        let op: String
        let values: [JSONValue]
    }

    static let operators: Set<String> = ["=", "<>", "<", "<=", ">", ">=", "IN", "NOT IN", "contains", "starts_with", "ends_with"]
    static let textMatches: Set<String> = ["contains", "starts_with", "ends_with"]

    let schema: [String: FakeTable]
    private(set) var rows: [String: [Row]] = [:]

    init(schema: [String: FakeTable]) { self.schema = schema }

    func table(_ name: String) throws -> FakeTable {
        guard let table = schema[name] else { throw HostFailure.invalid("UNKNOWN_TABLE", name) }
        return table
    }

    /// A `data` object converted field by field with the table's types.
    func record(_ tableName: String, _ data: JSONValue?) throws -> Row {
        let table = try table(tableName)
        var row = Row()
        for (key, value) in data?.objectValue ?? [:] {
            guard let field = table.field(key) else { throw HostFailure.invalid("UNKNOWN_FIELD", "\(tableName) has no field \"\(key)\"") }
            row[key] = try Self.convert(value, for: field)
        }
        return row
    }

    /// A `where` list; a value that does not convert is a database error, as in the host.
    func conditions(_ json: JSONValue?, table tableName: String) throws -> [Condition] {
        let table = try table(tableName)
        return try (json?.arrayValue ?? []).map { entry in
            guard let name = entry["field"]?.stringValue, var field = table.field(name) else {
                throw HostFailure.invalid("UNKNOWN_FIELD", "where: unknown field on \(tableName)")
            }
            let op = entry["operator"]?.stringValue ?? "="
            guard Self.operators.contains(op) else {
                throw HostFailure.invalid("UNKNOWN_OPERATOR", "where: operators are =, <>, <, <=, >, >=, IN, NOT IN, contains, starts_with, ends_with")
            }
            if Self.textMatches.contains(op) {
                guard field.type == "string", let text = entry["value"]?.stringValue else {
                    throw HostFailure.invalid("VALIDATION_ERROR", "where: \(op) needs a string field and a string value (\(name))")
                }
                return Condition(field: name, op: op, values: [.string(text)])
            }
            do {
                if op == "IN" || op == "NOT IN" { return Condition(field: name, op: op, values: try (entry["value"]?.arrayValue ?? []).map { try Self.convert($0, for: field) }) }
                field.required = false
                return Condition(field: name, op: op, values: [try Self.convert(entry["value"] ?? .null, for: field)])
            } catch let failure as HostFailure {
                throw HostFailure.hostError(failure.message)
            }
        }
    }

    mutating func create(_ tableName: String, _ data: Row, now: Date) throws -> Row {
        let table = try table(tableName)
        var row = Row()
        for field in table.fields {
            if let given = data[field.name] {
                row[field.name] = given
            } else if field.name == "id" {
                row["id"] = .string(FakeCrypto.identifier())
            } else if let value = field.defaultValue {
                row[field.name] = field.type == "date" && value == "now" ? .string(ISODate.format(now)) : value
            } else if field.required {
                throw HostFailure.hostError("NOT NULL constraint failed: \(tableName).\(field.name)")
            } else {
                row[field.name] = .null
            }
        }
        try checkReferences(row, table)
        try checkUnique(row, table)
        rows[tableName, default: []].append(row)
        return row
    }

    func find(_ tableName: String, _ conditions: [Condition], orderBy: (field: String, descending: Bool)? = nil,
              limit: Int? = nil, offset: Int? = nil) throws -> [Row] {
        let table = try table(tableName)
        var found = (rows[tableName] ?? []).filter { row in conditions.allSatisfy { Self.matches(row, $0, table) } }
        if let orderBy {
            guard let field = table.field(orderBy.field) else { throw HostFailure.hostError("no such column: \(tableName).\(orderBy.field)") }
            // NULLs first in ascending order, as SQLite sorts; ties keep insertion order.
            found = found.enumerated().sorted { a, b in
                let order = Self.order(a.element[field.name] ?? .null, b.element[field.name] ?? .null, field.type)
                return order == 0 ? a.offset < b.offset : (order < 0) != orderBy.descending
            }.map(\.element)
        }
        return Array(found.dropFirst(max(0, offset ?? 0)).prefix(max(0, limit ?? .max)))
    }

    /// Updates the matching rows (`onUpdate: "now"` fields too, unless given) and returns them.
    mutating func update(_ tableName: String, _ conditions: [Condition], _ changes: Row, now: Date) throws -> [Row] {
        let table = try table(tableName)
        guard changes["id"] == nil else { throw HostFailure.hostError("\(tableName).id cannot be updated") }
        var values = changes
        for field in table.fields where field.onUpdateNow && changes[field.name] == nil { values[field.name] = .string(ISODate.format(now)) }
        var all = rows[tableName] ?? []
        var updated: [Row] = []
        for index in all.indices where conditions.allSatisfy({ Self.matches(all[index], $0, table) }) {
            for (key, value) in values { all[index][key] = value }
            updated.append(all[index])
        }
        rows[tableName] = all
        for row in updated {
            try checkReferences(row, table)
            try checkUnique(row, table)
        }
        return updated
    }

    /// Deletes the matching rows, then applies the `onDelete` of every reference to them.
    mutating func delete(_ tableName: String, _ conditions: [Condition]) throws -> [Row] {
        let table = try table(tableName)
        let all = rows[tableName] ?? []
        let removed = all.filter { row in conditions.allSatisfy { Self.matches(row, $0, table) } }
        guard !removed.isEmpty else { return [] }
        rows[tableName] = all.filter { row in !conditions.allSatisfy { Self.matches(row, $0, table) } }
        for (other, referencing) in schema {
            for field in referencing.fields {
                guard let reference = field.references, reference.table == tableName else { continue }
                let keys = Condition(field: field.name, op: "IN", values: removed.compactMap { $0[reference.field] })
                guard (rows[other] ?? []).contains(where: { Self.matches($0, keys, referencing) }) else { continue }
                switch reference.onDelete.lowercased() {
                case "cascade":
                    _ = try delete(other, [keys])
                case "set null":
                    rows[other] = rows[other]?.map { row in
                        guard Self.matches(row, keys, referencing) else { return row }
                        var cleared = row
                        cleared[field.name] = .null
                        return cleared
                    }
                default:
                    throw HostFailure.hostError("FOREIGN KEY constraint failed: \(other).\(field.name) references the deleted \(tableName) row")
                }
            }
        }
        return removed
    }

    private func checkReferences(_ row: Row, _ table: FakeTable) throws {
        for field in table.fields {
            guard let reference = field.references, let value = row[field.name], value != .null,
                  let target = schema[reference.table] else { continue }
            let key = Condition(field: reference.field, op: "=", values: [value])
            guard (rows[reference.table] ?? []).contains(where: { Self.matches($0, key, target) }) else {
                throw HostFailure.hostError("FOREIGN KEY constraint failed: \(table.name).\(field.name) = \(value.serialized()) has no \(reference.table) row")
            }
        }
    }

    private func checkUnique(_ row: Row, _ table: FakeTable) throws {
        let groups = table.fields.filter(\.unique).map { [$0.name] } + table.uniqueTogether
        for group in groups {
            let values = group.map { row[$0] ?? .null }
            guard !values.contains(.null) else { continue }  // NULLs never collide
            let clashes = (rows[table.name] ?? []).contains { other in other["id"] != row["id"] && group.map { other[$0] ?? .null } == values }
            if clashes { throw HostFailure.uniqueViolation("UNIQUE constraint failed: \(group.map { "\(table.name).\($0)" }.joined(separator: ", "))") }
        }
    }

    /// A value for a field of `field.type`, as the host converts request data (dates to ISO-8601).
    static func convert(_ value: JSONValue, for field: FakeTable.Field) throws -> JSONValue {
        switch (field.type, value) {
        case (_, .null):
            guard !field.required else { break }
            return .null
        case ("string", .string), ("boolean", .bool), ("number", .number), ("json", _), ("string[]", .array), ("number[]", .array):
            return value
        case ("date", .string):
            guard let date = ISODate.parse(value) else { break }
            return .string(ISODate.format(date))
        default:
            break
        }
        throw HostFailure.invalid("VALIDATION_ERROR", "[body.\(field.name)] Invalid input: expected \(field.type), received \(value.typeName)")
    }

    /// `text` with A–Z lower-cased and nothing else: SQLite's LIKE folds ASCII case only.
    private static func asciiFolded(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { ("A"..."Z").contains($0) ? Unicode.Scalar($0.value + 32)! : $0 }))
    }

    static func matches(_ row: Row, _ condition: Condition, _ table: FakeTable) -> Bool {
        let cell = row[condition.field] ?? .null
        let type = table.field(condition.field)?.type ?? "string"
        if condition.op == "IN" { return cell != .null && condition.values.contains { order(cell, $0, type) == 0 } }
        // An empty NOT IN matches every row, as the host's `1 = 1`.
        if condition.op == "NOT IN" { return condition.values.isEmpty || (cell != .null && !condition.values.contains { order(cell, $0, type) == 0 }) }
        if textMatches.contains(condition.op) {
            guard let text = cell.stringValue.map(asciiFolded), let part = condition.values.first?.stringValue.map(asciiFolded) else { return false }
            switch condition.op {
            case "contains": return text.contains(part)
            case "starts_with": return text.hasPrefix(part)
            default: return text.hasSuffix(part)
            }
        }
        let value = condition.values.first ?? .null
        if value == .null { return condition.op == "<>" ? cell != .null : cell == .null }  // IS [NOT] NULL
        guard cell != .null else { return false }
        let comparison = order(cell, value, type)
        switch condition.op {
        case "=": return comparison == 0
        case "<>": return comparison != 0
        case "<": return comparison < 0
        case "<=": return comparison <= 0
        case ">": return comparison > 0
        default: return comparison >= 0
        }
    }

    /// -1, 0 or 1; NULL sorts first, dates by time, text by its UTF-8 bytes.
    static func order(_ a: JSONValue, _ b: JSONValue, _ type: String) -> Int {
        func sign<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : x > y ? 1 : 0 }
        switch (a, b) {
        case (.null, .null): return 0
        case (.null, _): return -1
        case (_, .null): return 1
        case (.number(let x), .number(let y)): return sign(x, y)
        case (.bool(let x), .bool(let y)): return sign(x ? 1 : 0, y ? 1 : 0)
        case (.string(let x), .string(let y)):
            if type == "date", let dx = ISODate.parse(a), let dy = ISODate.parse(b) { return sign(dx, dy) }
            return x == y ? 0 : x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1
        default:
            let (x, y) = (a.serialized(), b.serialized())
            return x == y ? 0 : x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1
        }
    }
}
