import OrderedCollections

/// A table: its fields in order (`id` first) and any composite unique keys.
public struct TableSchema: Sendable, Equatable {
    public var name: String
    public var fields: OrderedDictionary<String, Field>
    public var uniqueTogether: [[String]]

    public init(name: String, fields: [Field], uniqueTogether: [[String]] = []) {
        self.name = name
        var ordered = OrderedDictionary<String, Field>()
        ordered["id"] = Field("id", .string)
        for field in fields { ordered[field.name] = field }
        self.fields = ordered
        self.uniqueTogether = uniqueTogether
    }

    public func field(_ name: String) -> Field? { fields[name] }
}

/// What one contributor (the core or a plugin) adds to the database: new tables and
/// new fields on existing ones.
public struct SchemaExtension: Sendable {
    public var tables: [TableSchema]
    public var fields: [String: [Field]]

    public init(tables: [TableSchema] = [], fields: [String: [Field]] = [:]) {
        self.tables = tables
        self.fields = fields
    }
}

/// The merged schema of the core and every loaded plugin.
public struct Schema: Sendable {
    public private(set) var tables: OrderedDictionary<String, TableSchema> = [:]

    public init() {}

    public func table(_ name: String) -> TableSchema? { tables[name] }

    /// Adds an extension; a table or field defined twice is an error naming both. With
    /// `skippingAbsentTables`, fields on a table that does not exist are left out instead of an
    /// error; answers the tables they were for.
    @discardableResult
    public mutating func merge(_ ext: SchemaExtension, from owner: String, skippingAbsentTables: Bool = false) throws(SchemaError) -> [String] {
        var skipped: [String] = []
        for table in ext.tables {
            guard tables[table.name] == nil else { throw .conflict("table \"\(table.name)\" (from \(owner)) already exists") }
            tables[table.name] = table
        }
        for (tableName, fields) in ext.fields.sorted(by: { $0.key < $1.key }) {
            guard var table = tables[tableName] else {
                if skippingAbsentTables { skipped.append(tableName); continue }
                throw .conflict("\(owner) adds fields to unknown table \"\(tableName)\"")
            }
            for field in fields {
                guard table.fields[field.name] == nil else {
                    throw .conflict("field \"\(tableName).\(field.name)\" (from \(owner)) already exists")
                }
                table.fields[field.name] = field
            }
            tables[tableName] = table
        }
        return skipped
    }
}

public enum SchemaError: Error, Sendable, CustomStringConvertible {
    case conflict(String)
    case unknownTable(String)
    case unknownField(table: String, field: String)
    case missingRequired(table: String, field: String)
    case invalidCondition(table: String, field: String, reason: String)

    public var description: String {
        switch self {
        case .conflict(let m): "schema conflict: \(m)"
        case .unknownTable(let t): "unknown table \"\(t)\""
        case .unknownField(let t, let f): "unknown field \"\(f)\" on table \"\(t)\""
        case .missingRequired(let t, let f): "missing required field \"\(f)\" for table \"\(t)\""
        case .invalidCondition(let t, let f, let reason): "condition on \"\(t)\".\"\(f)\": \(reason)"
        }
    }
}
