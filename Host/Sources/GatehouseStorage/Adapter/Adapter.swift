import Foundation

/// Generic create/find/update/delete over the merged schema, the way Better Auth's adapter
/// works: callers name tables and fields, never SQL.
public struct Adapter: Sendable {
    public let schema: Schema
    public let executor: any SQLExecutor
    /// Makes ids for new rows (Better Auth's `generateId`).
    public let newID: @Sendable () -> String

    public init(schema: Schema, executor: any SQLExecutor, newID: @escaping @Sendable () -> String) {
        self.schema = schema
        self.executor = executor
        self.newID = newID
    }

    private var dialect: SQLDialect { executor.dialect }

    /// The same adapter running its statements on `executor` (a transaction).
    public func using(_ executor: any SQLExecutor) -> Adapter {
        Adapter(schema: schema, executor: executor, newID: newID)
    }

    /// Inside a transaction: holds a lock named `name` until it ends, so transactions taking the
    /// same name run one after another on every instance sharing the database (a PostgreSQL
    /// advisory lock; SQLite's single writer already runs transactions one at a time).
    public func serialize(on name: String) async throws {
        guard dialect.kind == .postgres else { return }
        _ = try await executor.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [.string(name)])
    }

    /// Inserts a row, filling `id`, defaults and timestamps; returns the stored row.
    @discardableResult
    public func create(_ tableName: String, _ data: Record) async throws -> Record {
        let table = try self.table(tableName)
        let now = Date()
        var row = Record()
        for (name, field) in table.fields {
            if let given = data[name] {
                guard let value = RecordCodec.coerce(given, to: field) else {
                    throw SchemaError.unknownField(table: tableName, field: name)
                }
                row[name] = value
            } else if name == "id" {
                row[name] = .string(newID())
            } else if let def = field.defaultValue {
                switch def {
                case .now: row[name] = .date(now)
                case .value(let value): row[name] = value
                }
            } else if field.required {
                throw SchemaError.missingRequired(table: tableName, field: name)
            }
        }
        for key in data.fields.keys where table.fields[key] == nil {
            throw SchemaError.unknownField(table: tableName, field: key)
        }
        let names = row.fields.keys.map(dialect.quote).joined(separator: ", ")
        let placeholders = (0..<row.fields.count).map(dialect.placeholder).joined(separator: ", ")
        let sql = "INSERT INTO \(dialect.quote(tableName)) (\(names)) VALUES (\(placeholders)) RETURNING \(columns(table))"
        let rows = try await executor.query(sql, Array(row.fields.values))
        return rows.first.map { RecordCodec.decode($0, table: table) } ?? row
    }

    public func findOne(_ tableName: String, where conditions: [Condition]) async throws -> Record? {
        try await findMany(tableName, where: conditions, limit: 1).first
    }

    public func findMany(
        _ tableName: String, where conditions: [Condition] = [], orderBy: SortOrder? = nil, limit: Int? = nil,
        offset: Int? = nil
    ) async throws -> [Record] {
        let table = try self.table(tableName)
        var binds: [DBValue] = []
        var sql = "SELECT \(columns(table)) FROM \(dialect.quote(tableName))" + (try whereClause(conditions, table: table, binds: &binds))
        if let orderBy {
            guard table.fields[orderBy.field] != nil else { throw SchemaError.unknownField(table: tableName, field: orderBy.field) }
            let direction = orderBy.descending ? "DESC" : "ASC"
            sql += " ORDER BY \(dialect.quote(orderBy.field)) \(direction)"
            // Rows with the same value come in id order, so pages of a listing never overlap or skip.
            if orderBy.field != "id" { sql += ", \(dialect.quote("id")) \(direction)" }
        }
        // SQLite takes OFFSET only after a LIMIT; the largest one means none, in both dialects.
        if let limit {
            sql += " LIMIT \(max(0, limit))"
        } else if let offset, offset > 0 {
            sql += " LIMIT \(Int64.max)"
        }
        if let offset, offset > 0 { sql += " OFFSET \(offset)" }
        return try await executor.query(sql, binds).map { RecordCodec.decode($0, table: table) }
    }

    /// The first row matching `conditions` together with the `parent` row its `foreignKey`
    /// references, in one query (the session lookup on every authenticated request).
    public func findOne(
        _ tableName: String, where conditions: [Condition], withParent parentName: String, via foreignKey: String
    ) async throws -> (row: Record, parent: Record)? {
        let table = try self.table(tableName)
        let parent = try self.table(parentName)
        guard table.fields[foreignKey] != nil else { throw SchemaError.unknownField(table: tableName, field: foreignKey) }
        var binds: [DBValue] = []
        let columns = table.fields.keys.map { "t." + aliased($0) } + parent.fields.keys.map { "p." + aliased($0) }
        let sql = "SELECT \(columns.joined(separator: ", ")) FROM \(dialect.quote(tableName)) AS t JOIN \(dialect.quote(parentName)) AS p"
            + " ON p.\(dialect.quote("id")) = t.\(dialect.quote(foreignKey))"
            + (try whereClause(conditions, table: table, binds: &binds, qualifier: "t.")) + " LIMIT 1"
        guard let row = try await executor.query(sql, binds).first else { return nil }
        let split = table.fields.count
        return (RecordCodec.decode(SQLRow(columns: Array(row.columns[..<split])), table: table),
                RecordCodec.decode(SQLRow(columns: Array(row.columns[split...])), table: parent))
    }

    public func count(_ tableName: String, where conditions: [Condition] = []) async throws -> Int {
        let table = try self.table(tableName)
        var binds: [DBValue] = []
        let sql = "SELECT COUNT(*) AS n FROM \(dialect.quote(tableName))" + (try whereClause(conditions, table: table, binds: &binds))
        guard case .integer(let n) = try await executor.query(sql, binds).first?["n"] else { return 0 }
        return Int(n)
    }

    /// Updates matching rows (touching `updatedAt`) and returns them as stored.
    @discardableResult
    public func update(_ tableName: String, where conditions: [Condition], set changes: Record) async throws -> [Record] {
        let table = try self.table(tableName)
        var values = changes
        for (name, field) in table.fields where field.updatesToNow && changes[name] == nil {
            values[name] = .date(Date())
        }
        guard !values.fields.isEmpty else { return try await findMany(tableName, where: conditions) }
        var binds: [DBValue] = []
        var assignments: [String] = []
        for (name, value) in values.fields {
            guard let field = table.fields[name], name != "id" else { throw SchemaError.unknownField(table: tableName, field: name) }
            guard let coerced = RecordCodec.coerce(value, to: field) else { throw SchemaError.missingRequired(table: tableName, field: name) }
            assignments.append("\(dialect.quote(name)) = \(dialect.placeholder(binds.count))")
            binds.append(coerced)
        }
        let sql = "UPDATE \(dialect.quote(tableName)) SET \(assignments.joined(separator: ", "))"
            + (try whereClause(conditions, table: table, binds: &binds)) + " RETURNING \(columns(table))"
        return try await executor.query(sql, binds).map { RecordCodec.decode($0, table: table) }
    }

    /// Deletes matching rows and returns them (so a single-use token is consumed atomically).
    @discardableResult
    public func delete(_ tableName: String, where conditions: [Condition]) async throws -> [Record] {
        let table = try self.table(tableName)
        var binds: [DBValue] = []
        let sql = "DELETE FROM \(dialect.quote(tableName))" + (try whereClause(conditions, table: table, binds: &binds)) + " RETURNING \(columns(table))"
        return try await executor.query(sql, binds).map { RecordCodec.decode($0, table: table) }
    }

    /// An explicit, aliased column list: SQLite may expand `*` from a schema cached before a
    /// migration, and names an unaliased column after its expression text once re-prepared.
    private func columns(_ table: TableSchema) -> String {
        table.fields.keys.map(aliased).joined(separator: ", ")
    }

    private func aliased(_ column: String) -> String {
        dialect.quote(column) + " AS " + dialect.quote(column)
    }

    private func table(_ name: String) throws -> TableSchema {
        guard let table = schema.table(name) else { throw SchemaError.unknownTable(name) }
        return table
    }

    /// A LIKE pattern that matches `text` literally where `op` says.
    private static func likePattern(_ text: String, _ op: Condition.Operator) -> String {
        var escaped = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return (op == .startsWith ? "" : "%") + escaped + (op == .endsWith ? "" : "%")
    }

    private func whereClause(_ conditions: [Condition], table: TableSchema, binds: inout [DBValue], qualifier: String = "") throws -> String {
        guard !conditions.isEmpty else { return "" }
        var parts: [String] = []
        for condition in conditions {
            guard let field = table.fields[condition.field] else {
                throw SchemaError.unknownField(table: table.name, field: condition.field)
            }
            let column = qualifier + dialect.quote(condition.field)
            let values = condition.values.map { RecordCodec.coerce($0, to: field) ?? $0 }
            if condition.op == .in || condition.op == .notIn {
                // An empty list matches nothing (IN) or everything (NOT IN).
                if values.isEmpty { parts.append(condition.op == .in ? "1 = 0" : "1 = 1"); continue }
                let list = values.map { value -> String in
                    binds.append(value)
                    return dialect.placeholder(binds.count - 1)
                }
                parts.append("\(column) \(condition.op.rawValue) (\(list.joined(separator: ", ")))")
            } else if condition.op.isPattern {
                guard case .string(let text) = values.first else {
                    throw SchemaError.invalidCondition(table: table.name, field: condition.field, reason: "\(condition.op.rawValue) needs text")
                }
                binds.append(.string(Self.likePattern(text, condition.op)))
                parts.append("\(column) \(dialect.caseInsensitiveLike) \(dialect.placeholder(binds.count - 1)) ESCAPE '\\'")
            } else if values.first == .null {
                parts.append(condition.op == .ne ? "\(column) IS NOT NULL" : "\(column) IS NULL")
            } else {
                binds.append(values[0])
                parts.append("\(column) \(condition.op.rawValue) \(dialect.placeholder(binds.count - 1))")
            }
        }
        return " WHERE " + parts.joined(separator: " AND ")
    }
}
