import Foundation
import GatehouseJSON
import PluginKit

/// `plugins.username`, with Better Auth's option names and defaults (`UsernameOptions`). Its
/// validators are regular expressions here (NSRegularExpression, searched as JavaScript's
/// `RegExp.test` does); its normalizations can only be switched off. An unknown key or a bad value
/// refuses the plugin with a message naming the key, never the value.
struct UsernameSettings: Sendable {
    /// Whether a value is validated as given or once normalized (`validationOrder`).
    enum ValidationOrder: String, Sendable, CaseIterable {
        case preNormalization = "pre-normalization"
        case postNormalization = "post-normalization"
    }

    var minUsernameLength = 3
    var maxUsernameLength = 30
    var usernameValidator = try! NSRegularExpression(pattern: "^[a-zA-Z0-9_.]+$")
    var displayUsernameValidator: NSRegularExpression?
    /// Usernames are stored lower-cased unless `usernameNormalization: false`.
    var lowercasesUsernames = true
    var usernameValidationOrder = ValidationOrder.preNormalization
    var immutableUsername = false
    /// `displayUsername: false`: the plugin never writes `displayUsername` (the column stays, null).
    var keepsDisplayUsername = true

    static let keys: Set<String> = [
        "minUsernameLength", "maxUsernameLength", "usernameValidator", "displayUsernameValidator",
        "usernameNormalization", "displayUsernameNormalization", "validationOrder", "immutableUsername", "displayUsername",
    ]

    static let refusals: [String: String] = [
        "schema": "is not supported: the user fields keep the names username and displayUsername",
    ]

    init(_ json: JSONValue) throws {
        let reader = try PluginSettings(json, pluginID: "username", keys: Self.keys, refusals: Self.refusals)
        minUsernameLength = try reader.int("minUsernameLength", in: 1...1000) ?? minUsernameLength
        maxUsernameLength = try reader.int("maxUsernameLength", in: 1...1000) ?? maxUsernameLength
        guard minUsernameLength <= maxUsernameLength else {
            throw reader.invalid("minUsernameLength", "must not exceed maxUsernameLength")
        }
        usernameValidator = try Self.expression("usernameValidator", reader) ?? usernameValidator
        displayUsernameValidator = try Self.expression("displayUsernameValidator", reader)
        lowercasesUsernames = try Self.normalization("usernameNormalization", reader) ?? lowercasesUsernames
        // Better Auth normalizes display usernames only with a function of the operator's.
        _ = try Self.normalization("displayUsernameNormalization", reader, onlyOff: true)
        if let order = reader.value("validationOrder") {
            guard let members = order.objectValue else { throw reader.invalid("validationOrder", "must be an object") }
            for key in members.keys where key != "username" && key != "displayUsername" {
                throw reader.invalid("validationOrder.\(key)", "is not a setting of the username plugin")
            }
            usernameValidationOrder = try reader.oneOf("validationOrder.username", ValidationOrder.self) ?? usernameValidationOrder
            // Display usernames are never normalized, so both orders validate the same text.
            _ = try reader.oneOf("validationOrder.displayUsername", ValidationOrder.self)
        }
        immutableUsername = try reader.bool("immutableUsername") ?? immutableUsername
        keepsDisplayUsername = try reader.bool("displayUsername") ?? keepsDisplayUsername
    }

    /// A regular expression option; Better Auth's function form is JavaScript.
    private static func expression(_ key: String, _ reader: PluginSettings) throws -> NSRegularExpression? {
        guard let value = reader.value(key) else { return nil }
        guard let pattern = value.stringValue, !pattern.isEmpty else {
            throw reader.invalid(key, "must be a regular expression (a string); Better Auth's function form is JavaScript")
        }
        guard let expression = try? NSRegularExpression(pattern: pattern) else {
            throw reader.invalid(key, "is not a valid regular expression")
        }
        return expression
    }

    /// A normalization option: only `false` (none) can be expressed without JavaScript; `true` is
    /// the default where there is one.
    private static func normalization(_ key: String, _ reader: PluginSettings, onlyOff: Bool = false) throws -> Bool? {
        guard let value = reader.value(key) else { return nil }
        guard let flag = value.boolValue, !(onlyOff && flag) else {
            throw reader.invalid(key, onlyOff ? "can only be false: Better Auth's function form is JavaScript"
                                              : "must be true or false: Better Auth's function form is JavaScript")
        }
        return flag
    }
}
