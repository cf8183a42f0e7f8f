import Foundation
import GatehouseStorage
import Logging
import Testing

/// Runs against a real SQLite file in a temporary directory.
func withTemporaryDatabase(_ body: (SQLiteDatabase) async throws -> Void) async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-\(UUID().uuidString)")
    let db = try await SQLiteDatabase.open(path: dir.appendingPathComponent("test.db").path, readers: 2, logger: Logger(label: "test"))
    do {
        try await body(db)
    } catch {
        try await db.close()
        throw error
    }
    try await db.close()
    try? FileManager.default.removeItem(at: dir)
}

let people = TableSchema(name: "person", fields: [
    Field("name", .string), Field("email", .string, unique: true),
    Field("active", .boolean, defaultValue: .value(.bool(true))),
    Field("createdAt", .date, defaultValue: .now),
])

func schema(_ extra: [Field] = []) throws -> Schema {
    var schema = Schema()
    try schema.merge(SchemaExtension(tables: [people]), from: "test")
    if !extra.isEmpty { try schema.merge(SchemaExtension(fields: ["person": extra]), from: "plugin") }
    return schema
}

let ids: @Sendable () -> String = { UUID().uuidString }

@Suite struct MigratorTests {
    @Test func createsTablesAndIndexesOnceThenNothing() async throws {
        try await withTemporaryDatabase { db in
            let migrator = Migrator(database: db)
            let first = try await migrator.migrate(to: try schema())
            #expect(first.contains { $0.hasPrefix("CREATE TABLE \"person\"") })
            #expect(first.contains { $0.contains("UNIQUE INDEX") && $0.contains("\"email\"") })
            #expect(try await migrator.plan(for: try schema()).isEmpty)
        }
    }

    @Test func addsNewColumnsAdditively() async throws {
        try await withTemporaryDatabase { db in
            let migrator = Migrator(database: db)
            try await migrator.migrate(to: try schema())
            let adapter = Adapter(schema: try schema(), executor: db, newID: ids)
            try await adapter.create("person", ["name": "A", "email": "a@x.io"])
            let extended = try schema([Field("nickname", .string, required: false), Field("score", .number, defaultValue: .value(.int(0)))])
            let statements = try await migrator.migrate(to: extended)
            #expect(statements.count == 2 && statements.allSatisfy { $0.hasPrefix("ALTER TABLE") })
            let row = try await Adapter(schema: extended, executor: db, newID: ids).findOne("person", where: [Condition("email", .eq, "a@x.io")])
            #expect(row?.int("score") == 0)
            #expect(row?["nickname"] == .null)
        }
    }

    @Test func addsARequiredColumnToAFilledTableAsNullableWithItsBackfill() async throws {
        try await withTemporaryDatabase { db in
            let migrator = Migrator(database: db)
            try await migrator.migrate(to: try schema())
            try await Adapter(schema: try schema(), executor: db, newID: ids).create("person", ["name": "A", "email": "a@x.io"])
            try await Adapter(schema: try schema(), executor: db, newID: ids).create("person", ["name": "B", "email": "b@x.io"])
            let extended = try schema([
                Field("kind", .string, backfill: #"CASE "name" WHEN 'A' THEN 'first' END"#), Field("unknown", .string),
            ])
            let statements = try await migrator.migrate(to: extended)
            #expect(statements.count == 3)
            #expect(statements[1].hasPrefix(#"UPDATE "person" SET "kind" = CASE"#))
            let adapter = Adapter(schema: extended, executor: db, newID: ids)
            #expect(try await adapter.findOne("person", where: [Condition("name", .eq, "A")])?["kind"] == .string("first"))
            #expect(try await adapter.findOne("person", where: [Condition("name", .eq, "B")])?["kind"] == .null)
            #expect(try await adapter.findOne("person", where: [Condition("name", .eq, "B")])?["unknown"] == .null)
            // New rows still need the field, and a second run has nothing to do.
            await #expect(throws: SchemaError.self) { try await adapter.create("person", ["name": "C", "email": "c@x.io", "kind": "k"]) }
            #expect(try await migrator.plan(for: extended).isEmpty)
        }
    }

    @Test func conflictingExtensionsAreRejected() throws {
        var s = try schema()
        #expect(throws: SchemaError.self) { try s.merge(SchemaExtension(tables: [people]), from: "again") }
        #expect(throws: SchemaError.self) { try s.merge(SchemaExtension(fields: ["person": [Field("email", .string)]]), from: "p") }
        #expect(throws: SchemaError.self) { try s.merge(SchemaExtension(fields: ["nope": [Field("x", .string)]]), from: "p") }
    }
}

@Suite struct AdapterTests {
    @Test func createFindUpdateDelete() async throws {
        try await withTemporaryDatabase { db in
            try await Migrator(database: db).migrate(to: try schema())
            let adapter = Adapter(schema: try schema(), executor: db, newID: ids)
            let created = try await adapter.create("person", ["name": "Ann", "email": "ann@x.io"])
            #expect(created.bool("active") == true)
            #expect(created.date("createdAt") != nil)
            #expect(created.id.count == 36)
            let found = try await adapter.findOne("person", where: [Condition("email", .eq, "ann@x.io")])
            #expect(found == created)
            let updated = try await adapter.update("person", where: [Condition("id", .eq, .string(created.id))], set: ["active": false])
            #expect(updated.first?.bool("active") == false)
            #expect(try await adapter.count("person") == 1)
            let deleted = try await adapter.delete("person", where: [Condition("id", .eq, .string(created.id))])
            #expect(deleted.count == 1)
            #expect(try await adapter.delete("person", where: [Condition("id", .eq, .string(created.id))]).isEmpty)
        }
    }

    @Test func rejectsUnknownFieldsAndMissingRequiredOnes() async throws {
        try await withTemporaryDatabase { db in
            try await Migrator(database: db).migrate(to: try schema())
            let adapter = Adapter(schema: try schema(), executor: db, newID: ids)
            await #expect(throws: SchemaError.self) { try await adapter.create("person", ["name": "A"]) }
            await #expect(throws: SchemaError.self) { try await adapter.create("person", ["name": "A", "email": "e", "bogus": "x"]) }
            await #expect(throws: SchemaError.self) { try await adapter.findMany("person", where: [Condition("bogus", .eq, "x")]) }
        }
    }

    @Test func transactionsRollBackAsAWhole() async throws {
        try await withTemporaryDatabase { db in
            try await Migrator(database: db).migrate(to: try schema())
            let adapter = Adapter(schema: try schema(), executor: db, newID: ids)
            try await adapter.create("person", ["name": "A", "email": "taken@x.io"])
            await #expect(throws: (any Error).self) {
                try await db.transaction { tx in
                    try await adapter.using(tx).create("person", ["name": "B", "email": "b@x.io"])
                    try await adapter.using(tx).create("person", ["name": "C", "email": "taken@x.io"])  // unique violation
                }
            }
            #expect(try await adapter.count("person") == 1)
        }
    }

    @Test func inListAndNullConditions() async throws {
        try await withTemporaryDatabase { db in
            try await Migrator(database: db).migrate(to: try schema())
            let adapter = Adapter(schema: try schema(), executor: db, newID: ids)
            for name in ["a", "b", "c"] { try await adapter.create("person", ["name": .string(name), "email": .string("\(name)@x.io")]) }
            let some = try await adapter.findMany("person", where: [.any("name", of: ["a", "c"])], orderBy: SortOrder("name"))
            #expect(some.map { $0.string("name") } == ["a", "c"])
            #expect(try await adapter.findMany("person", where: [.any("name", of: [])]).isEmpty)
            let others = try await adapter.findMany("person", where: [.list("name", .notIn, ["a", "c"])])
            #expect(others.map { $0.string("name") } == ["b"])
            #expect(try await adapter.count("person", where: [.list("name", .notIn, [])]) == 3)
        }
    }

    @Test func textMatchesIgnoreCaseAndTakeWildcardsLiterally() async throws {
        try await withTemporaryDatabase { db in
            try await Migrator(database: db).migrate(to: try schema())
            let adapter = Adapter(schema: try schema(), executor: db, newID: ids)
            for (name, email) in [("Ada Lovelace", "ada@x.io"), ("Grace_Hopper", "grace@y.io"), ("100% Alan", "alan@x.io")] {
                try await adapter.create("person", ["name": .string(name), "email": .string(email)])
            }
            func names(_ op: Condition.Operator, _ value: String, field: String = "name") async throws -> [String?] {
                try await adapter.findMany("person", where: [Condition(field, op, .string(value))], orderBy: SortOrder("email")).map { $0.string("name") }
            }
            #expect(try await names(.contains, "LOVE") == ["Ada Lovelace"])
            #expect(try await names(.startsWith, "ada") == ["Ada Lovelace"])
            #expect(try await names(.endsWith, "@x.io", field: "email") == ["Ada Lovelace", "100% Alan"])
            #expect(try await names(.contains, "_").count == 1, "_ matches an underscore, not any character")
            #expect(try await names(.contains, "%").count == 1, "% matches a percent sign, not anything")
            #expect(try await names(.startsWith, "a%").isEmpty)
        }
    }
}

@Suite struct JoinTests {
    @Test func findsARowWithItsParentInOneQuery() async throws {
        try await withTemporaryDatabase { db in
            var s = try schema()
            try s.merge(SchemaExtension(tables: [TableSchema(name: "pet", fields: [
                Field("name", .string), Field("ownerId", .string, references: FieldReference(table: "person")),
            ])]), from: "test")
            try await Migrator(database: db).migrate(to: s)
            let adapter = Adapter(schema: s, executor: db, newID: ids)
            let owner = try await adapter.create("person", ["name": "Ann", "email": "ann@x.io"])
            try await adapter.create("pet", ["name": "Rex", "ownerId": .string(owner.id)])
            let found = try await adapter.findOne("pet", where: [Condition("name", .eq, "Rex")], withParent: "person", via: "ownerId")
            #expect(found?.row.string("name") == "Rex")
            #expect(found?.parent == owner)
            #expect(try await adapter.findOne("pet", where: [Condition("name", .eq, "Tom")], withParent: "person", via: "ownerId") == nil)
        }
    }
}
