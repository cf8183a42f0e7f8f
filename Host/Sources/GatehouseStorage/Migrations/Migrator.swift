import Foundation

/// Computes and applies additive migrations: create missing tables, add missing
/// columns and indexes. Nothing is ever dropped or altered, and a database that already
/// has rows (one Better Auth 1.6 or another Better Auth server made) always opens: a
/// required column without a default joins a populated table as nullable, filled by the
/// field's backfill where it has one, so existing rows stay valid.
public struct Migrator: Sendable {
    public let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    /// The statements that would bring the database up to `schema`, in order.
    public func plan(for schema: Schema) async throws -> [String] {
        try await plan(for: schema, on: database)
    }

    private func plan(for schema: Schema, on executor: any SQLExecutor) async throws -> [String] {
        let d = database.dialect
        var statements: [String] = []
        let catalog = try await ExistingSchema.read(schema.tables.values.map(\.name), database: database, on: executor)
        for table in schema.tables.values {
            let existing = catalog.columns[table.name] ?? []
            if existing.isEmpty {
                statements.append(createTable(table))
            } else {
                let missing = table.fields.values.filter { !existing.contains($0.name) }
                let empty = missing.isEmpty ? true : try await isEmpty(table.name, on: executor)
                for field in missing { statements += addColumn(field, to: table.name, tableIsEmpty: empty) }
            }
            let indexed = catalog.indexes[table.name] ?? []
            for field in table.fields.values where field.name != "id" && (field.unique || field.indexed || field.references != nil) {
                guard !indexed.contains([field.name]) else { continue }
                let kind = field.unique ? "UNIQUE INDEX" : "INDEX"
                let name = "\(table.name)_\(field.name)_\(field.unique ? "uidx" : "idx")"
                statements.append("CREATE \(kind) IF NOT EXISTS \(d.quote(name)) ON \(d.quote(table.name)) (\(d.quote(field.name)))")
            }
            for group in table.uniqueTogether where !indexed.contains(group) {
                let name = "\(table.name)_\(group.joined(separator: "_"))_uidx"
                let cols = group.map(d.quote).joined(separator: ", ")
                statements.append("CREATE UNIQUE INDEX IF NOT EXISTS \(d.quote(name)) ON \(d.quote(table.name)) (\(cols))")
            }
        }
        return statements
    }

    /// Applies the plan in one transaction and returns what ran. On PostgreSQL the transaction
    /// first takes an advisory lock, so instances starting together on one database migrate in
    /// turn, each planning anew once it holds the lock (the later ones find nothing to do).
    @discardableResult
    public func migrate(to schema: Schema) async throws -> [String] {
        guard !(try await plan(for: schema)).isEmpty else { return [] }
        let kind = database.dialect.kind
        return try await database.transaction { tx in
            if kind == .postgres { _ = try await tx.query("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))", []) }
            let statements = try await plan(for: schema, on: tx)
            for sql in statements { _ = try await tx.query(sql, []) }
            return statements
        }
    }

    /// The advisory lock Gatehouse's migrations take ("GATEHOUS" in ASCII).
    static let advisoryLockKey: Int64 = 0x4741_5445_484F_5553

    private func createTable(_ table: TableSchema) -> String {
        let d = database.dialect
        var lines: [String] = []
        for field in table.fields.values {
            var line = "\(d.quote(field.name)) \(d.columnType(field))"
            if field.name == "id" { line += " PRIMARY KEY" } else if field.required { line += " NOT NULL" }
            if case .value(let value) = field.defaultValue { line += " DEFAULT \(d.literal(value))" }
            if let ref = field.references {
                line += " REFERENCES \(d.quote(ref.table)) (\(d.quote(ref.field))) ON DELETE \(ref.onDelete.uppercased())"
            }
            lines.append(line)
        }
        return "CREATE TABLE \(d.quote(table.name)) (\(lines.joined(separator: ", ")))"
    }

    /// `ALTER TABLE … ADD COLUMN`, then, for a required column without a default on a table
    /// with rows, the `UPDATE` that backfills it.
    private func addColumn(_ field: Field, to table: String, tableIsEmpty: Bool) -> [String] {
        let d = database.dialect
        var sql = "ALTER TABLE \(d.quote(table)) ADD COLUMN \(d.quote(field.name)) \(d.columnType(field))"
        var backfill: String?
        switch (field.required, field.defaultValue) {
        case (true, .value(let value)):
            sql += " NOT NULL DEFAULT \(d.literal(value))"
        case (true, let other):
            if tableIsEmpty {
                // SQLite cannot add a NOT NULL column without a default even to an empty table;
                // the adapter still refuses rows without it.
                if d.kind == .postgres { sql += " NOT NULL" }
            } else {
                backfill = field.backfill ?? (other == .now ? d.literal(.date(Date())) : nil)
            }
        case (false, .value(let value)):
            sql += " DEFAULT \(d.literal(value))"
        case (false, _):
            break
        }
        if let ref = field.references, d.kind == .postgres {
            sql += " REFERENCES \(d.quote(ref.table)) (\(d.quote(ref.field))) ON DELETE \(ref.onDelete.uppercased())"
        } else if let ref = field.references, field.defaultValue == nil || field.defaultValue == .value(.null) {
            // SQLite only accepts a foreign key on ADD COLUMN when the default is NULL.
            sql += " REFERENCES \(d.quote(ref.table)) (\(d.quote(ref.field))) ON DELETE \(ref.onDelete.uppercased())"
        }
        guard let backfill else { return [sql] }
        return [sql, "UPDATE \(d.quote(table)) SET \(d.quote(field.name)) = \(backfill) WHERE \(d.quote(field.name)) IS NULL"]
    }

    private func isEmpty(_ table: String, on executor: any SQLExecutor) async throws -> Bool {
        try await executor.query("SELECT 1 AS n FROM \(database.dialect.quote(table)) LIMIT 1", []).isEmpty
    }
}

/// The columns and the index column lists (unique constraints and the primary key included) of
/// the tables a plan looks at, as the database has them now. On PostgreSQL two catalog queries
/// read the whole schema: one `information_schema` query per table made a reload without a
/// change take most of a second.
private struct ExistingSchema {
    var columns: [String: Set<String>] = [:]
    var indexes: [String: Set<[String]>] = [:]

    static func read(_ tables: [String], database: any Database, on executor: any SQLExecutor) async throws -> ExistingSchema {
        let d = database.dialect
        var found = ExistingSchema()
        switch d.kind {
        case .sqlite:
            for table in tables {
                let columns = try await executor.query("PRAGMA table_info(\(d.quote(table)))", [])
                found.columns[table] = Set(columns.compactMap { if case .text(let n) = $0["name"] { n } else { nil } })
                for index in try await executor.query("PRAGMA index_list(\(d.quote(table)))", []) {
                    guard case .text(let name) = index["name"] else { continue }
                    let cols = try await executor.query("PRAGMA index_info(\(d.quote(name)))", [])
                    found.indexes[table, default: []].insert(cols.compactMap { if case .text(let n) = $0["name"] { n } else { nil } })
                }
            }
        case .postgres:
            let columns = try await executor.query("""
                SELECT t.relname::text AS table_name, a.attname::text AS column_name
                FROM pg_attribute a
                JOIN pg_class t ON t.oid = a.attrelid
                JOIN pg_namespace s ON s.oid = t.relnamespace
                WHERE s.nspname = current_schema() AND t.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
                """, [])
            for row in columns {
                guard case .text(let table) = row["table_name"], case .text(let column) = row["column_name"] else { continue }
                found.columns[table, default: []].insert(column)
            }
            let indexes = try await executor.query("""
                SELECT t.relname::text AS table_name, string_agg(a.attname::text, ',' ORDER BY k.n) AS columns
                FROM pg_index x
                JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_namespace s ON s.oid = t.relnamespace
                CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
                JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                WHERE s.nspname = current_schema()
                GROUP BY x.indexrelid, t.relname
                """, [])
            for row in indexes {
                guard case .text(let table) = row["table_name"], case .text(let columns) = row["columns"] else { continue }
                found.indexes[table, default: []].insert(columns.split(separator: ",").map(String.init))
            }
        }
        return found
    }
}
