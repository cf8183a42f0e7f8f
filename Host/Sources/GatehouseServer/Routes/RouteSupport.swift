import Foundation
import GatehouseCrypto
import GatehouseJSON
import GatehouseStorage

extension AuthContext {
    /// The settable fields of `table` found in `body`, skipping `reserved` keys; unknown keys
    /// are ignored. A field the client may not set (`input: false`) is `FIELD_NOT_ALLOWED`,
    /// except when `creating` a row and the field has a default: then, as Better Auth's
    /// `parseInputData` does, the value is dropped and the default applies.
    func inputFields(_ table: String, from body: JSONValue, reserved: Set<String>, creating: Bool = false) throws -> Record {
        var record = Record()
        guard let fields = schema.table(table)?.fields, let members = body.objectValue else { return record }
        for (key, value) in members where !reserved.contains(key) {
            guard let field = fields[key], key != "id" else { continue }
            guard field.input else {
                if value.isNull || value == .bool(false) || (creating && field.defaultValue != nil) { continue }
                throw APIError(.badRequest, "FIELD_NOT_ALLOWED", "\(key) is not allowed to be set")
            }
            record[key] = try Self.dbValue(value, for: field, key: key)
        }
        return record
    }

    static func dbValue(_ value: JSONValue, for field: Field, key: String) throws -> DBValue {
        switch (field.type, value) {
        case (_, .null):
            guard !field.required else { throw APIError(.badRequest, "VALIDATION_ERROR", "[body.\(key)] Invalid input: expected \(field.type.rawValue), received null") }
            return .null
        case (.string, .string(let s)): return .string(s)
        case (.boolean, .bool(let b)): return .bool(b)
        case (.number, .number(let n)): return .number(n)
        case (.date, .string(let s)):
            guard let date = ISOTimestamp.parse(s) else { break }
            return .date(date)
        case (.json, _), (.stringArray, .array), (.numberArray, .array): return .json(value)
        default: break
        }
        throw APIError(.badRequest, "VALIDATION_ERROR", "[body.\(key)] Invalid input: expected \(field.type.rawValue), received \(value.typeName)")
    }

    /// `url` with `name=value` appended to its query.
    static func appending(_ url: String, _ name: String, _ value: String) -> String {
        url + (url.contains("?") ? "&" : "?") + name + "=" + URIComponent.encode(value)
    }
}

extension JSONValue {
    /// An object with `key` removed when its value would be JavaScript's `undefined`.
    static func object(dropping nilValues: [(String, JSONValue?)]) -> JSONValue {
        .object(.init(uniqueKeysWithValues: nilValues.compactMap { key, value in value.map { (key, $0) } }))
    }
}
