import GatehouseJSON

/// A table of the fake database: one of Better Auth's core tables, or one a manifest declares
/// (`schema.tables`, docs/plugin-abi.md §8), with the fields `schema.fields` adds.
struct FakeTable: Sendable {
    struct Reference: Sendable {
        let table: String
        let field: String
        /// `cascade`, `set null`, or anything else: refuse while referenced.
        let onDelete: String
    }

    struct Field: Sendable {
        let name: String
        /// `string`, `number`, `boolean`, `date`, `json`, `string[]` or `number[]`.
        let type: String
        var required = true
        var unique = false
        var returned = true
        /// `"now"` on a date field means the time of insertion.
        var defaultValue: JSONValue?
        var onUpdateNow = false
        var references: Reference?
    }

    let name: String
    /// `id` first, then the declared fields in order.
    var fields: [Field]
    var uniqueTogether: [[String]] = []

    func field(_ name: String) -> Field? { fields.first { $0.name == name } }
}

enum FakeSchema {
    static let coreTables = ["user", "session", "account", "verification"]

    /// The core tables with Better Auth 1.7's columns, then the manifest's tables and fields
    /// (a field's `defaultSetting` read from `settings`, as the host does for 1.6 plugins).
    static func tables(manifest: JSONValue, settings: JSONValue = [:]) -> [String: FakeTable] {
        let field = { (json: JSONValue) in Self.field(json, settings: settings) }
        var tables = Dictionary(uniqueKeysWithValues: core.map { ($0.name, $0) })
        for json in manifest["schema"]?["tables"]?.arrayValue ?? [] {
            guard let name = json["name"]?.stringValue else { continue }
            tables[name] = FakeTable(name: name, fields: [id] + (json["fields"]?.arrayValue ?? []).compactMap(field),
                                     uniqueTogether: (json["uniqueTogether"]?.arrayValue ?? []).map { $0.arrayValue?.compactMap(\.stringValue) ?? [] })
        }
        for (name, fields) in manifest["schema"]?["fields"]?.objectValue ?? [:] {
            tables[name]?.fields += (fields.arrayValue ?? []).compactMap(field)
        }
        return tables
    }

    /// The tables a plugin declared itself: with the core ones, all that its `db.*` calls may use.
    static func ownTables(manifest: JSONValue) -> Set<String> {
        Set((manifest["schema"]?["tables"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
    }

    private static func field(_ json: JSONValue, settings: JSONValue) -> FakeTable.Field? {
        guard let name = json["name"]?.stringValue, let type = json["type"]?.stringValue else { return nil }
        let reference = json["references"].flatMap { ref in
            ref["model"]?.stringValue.map {
                FakeTable.Reference(table: $0, field: ref["field"]?.stringValue ?? "id", onDelete: ref["onDelete"]?.stringValue ?? "cascade")
            }
        }
        return FakeTable.Field(name: name, type: type, required: json["required"]?.boolValue ?? true, unique: json["unique"]?.boolValue ?? false,
                               returned: json["returned"]?.boolValue ?? true,
                               defaultValue: json["defaultSetting"]?.stringValue.flatMap { settings[$0]?.nonNull } ?? json["defaultValue"],
                               onUpdateNow: json["onUpdate"]?.stringValue == "now", references: reference)
    }

    private static let id = FakeTable.Field(name: "id", type: "string")
    private static let createdAt = FakeTable.Field(name: "createdAt", type: "date", defaultValue: "now")
    private static let updatedAt = FakeTable.Field(name: "updatedAt", type: "date", defaultValue: "now", onUpdateNow: true)
    private static let user = FakeTable.Reference(table: "user", field: "id", onDelete: "cascade")

    private static func text(_ name: String, required: Bool = true, unique: Bool = false, returned: Bool = true) -> FakeTable.Field {
        FakeTable.Field(name: name, type: "string", required: required, unique: unique, returned: returned)
    }

    private static let core: [FakeTable] = [
        FakeTable(name: "user", fields: [
            id, text("name"), text("email", unique: true),
            FakeTable.Field(name: "emailVerified", type: "boolean", defaultValue: false), text("image", required: false), createdAt, updatedAt,
        ]),
        FakeTable(name: "session", fields: [
            id, FakeTable.Field(name: "expiresAt", type: "date"), text("token", unique: true), createdAt, updatedAt,
            text("ipAddress", required: false), text("userAgent", required: false), FakeTable.Field(name: "userId", type: "string", references: user),
        ]),
        FakeTable(name: "account", fields: [
            id, text("accountId"), text("providerId"), text("issuer"), FakeTable.Field(name: "userId", type: "string", references: user),
            text("accessToken", required: false, returned: false), text("refreshToken", required: false, returned: false),
            text("idToken", required: false, returned: false),
            FakeTable.Field(name: "accessTokenExpiresAt", type: "date", required: false, returned: false),
            FakeTable.Field(name: "refreshTokenExpiresAt", type: "date", required: false, returned: false),
            text("scope", required: false), text("password", required: false, returned: false), createdAt, updatedAt,
        ], uniqueTogether: [["issuer", "accountId"]]),
        FakeTable(name: "verification", fields: [
            id, text("identifier"), text("value"), FakeTable.Field(name: "expiresAt", type: "date"), createdAt, updatedAt,
        ]),
    ]
}
