/// What differs between SQL databases: placeholders, column types and how values are stored.
public struct SQLDialect: Sendable {
    public enum Kind: Sendable { case sqlite, postgres }
    public let kind: Kind

    public static let sqlite = SQLDialect(kind: .sqlite)
    public static let postgres = SQLDialect(kind: .postgres)

    /// The placeholder for the bind at `index` (0-based).
    public func placeholder(_ index: Int) -> String {
        kind == .sqlite ? "?" : "$\(index + 1)"
    }

    /// SQLite's LIKE ignores ASCII case already; PostgreSQL's needs ILIKE.
    public var caseInsensitiveLike: String { kind == .sqlite ? "LIKE" : "ILIKE" }

    public func quote(_ identifier: String) -> String {
        // Hot path: schema names never hold a quote, so skip Foundation's replace for them.
        guard identifier.utf8.contains(UInt8(ascii: "\"")) else { return "\"" + identifier + "\"" }
        return "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Column types as Better Auth's `migrate` emits them.
    public func columnType(_ field: Field) -> String {
        switch (kind, field.type) {
        case (.sqlite, .boolean): "integer"
        case (.sqlite, .date): "date"
        case (.sqlite, .number): field.bigint ? "bigint" : "integer"
        case (.sqlite, _): "text"
        case (.postgres, .boolean): "boolean"
        case (.postgres, .date): "timestamptz"
        case (.postgres, .number): field.bigint ? "bigint" : "integer"
        case (.postgres, .json), (.postgres, .stringArray), (.postgres, .numberArray): "jsonb"
        case (.postgres, _): "text"
        }
    }

    /// A literal for a column DEFAULT clause.
    public func literal(_ value: DBValue) -> String {
        switch value {
        case .null: "NULL"
        case .string(let s): "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): kind == .sqlite ? (b ? "1" : "0") : (b ? "true" : "false")
        case .date(let d): "'" + ISOTimestamp.format(d) + "'"
        case .json(let j): "'" + j.serialized().replacingOccurrences(of: "'", with: "''") + "'"
        }
    }
}
