import GatehouseJSON

/// Typed reads of a plugin's settings (`plugins.<id>`), so every plugin refuses bad ones alike: an
/// unknown key, a value of the wrong type or out of range refuses the load with a message that
/// names the key and never the value (settings hold secrets). Keys may be dotted
/// (`otpOptions.period`).
public struct PluginSettings: Sendable {
    public let pluginID: String
    public let json: JSONValue

    /// Refuses settings that are not an object, and any top-level key outside `keys` (`enabled`,
    /// the operator's switch, is always allowed). `refusals` explains known keys that are refused
    /// on purpose, such as Better Auth options that are JavaScript callbacks.
    public init(_ json: JSONValue, pluginID: String, keys: Set<String>, refusals: [String: String] = [:]) throws {
        self.pluginID = pluginID
        self.json = json
        guard json.isNull || json.objectValue != nil else { throw invalid(nil, "must be an object") }
        for key in json.objectValue?.keys ?? [] where !keys.contains(key) && key != "enabled" {
            throw invalid(key, refusals[key] ?? "is not a setting of the \(pluginID) plugin")
        }
    }

    /// The value at a dotted key, nil when absent or null.
    public func value(_ key: String) -> JSONValue? {
        var node: JSONValue? = json
        for part in key.split(separator: ".") { node = node?[String(part)] }
        return node?.nonNull
    }

    public func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.stringValue, !text.isEmpty else { throw invalid(key, "must be a non-empty string") }
        return text
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard let flag = value.boolValue else { throw invalid(key, "must be true or false") }
        return flag
    }

    public func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value.intValue, range.contains(number) else {
            throw invalid(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A number that may have a fraction (Better Auth's one-time token lifetime in minutes, say).
    public func number(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.doubleValue, range.contains(number) else {
            throw invalid(key, "must be a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    public func oneOf<T: RawRepresentable & CaseIterable>(_ key: String, _: T.Type) throws -> T? where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let choice = T(rawValue: text) else {
            throw invalid(key, "must be one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return choice
    }

    /// The refusal for `key` (nil: the settings as a whole): `plugins.<id>.<key> <problem>`.
    public func invalid(_ key: String?, _ problem: String) -> PluginError {
        PluginError(code: "INVALID_SETTINGS", message: "plugins.\(pluginID)\(key.map { ".\($0)" } ?? "") \(problem)")
    }
}
