import Foundation
import GatehouseJSON
import GatehouseOAuth
import OrderedCollections
import Yams

/// Reads the YAML file and the environment into one tree of values, checking every key
/// against `ConfigKeys` so that a typo stops startup with the key's name.
struct ConfigSource {
    private(set) var tree: JSONValue = .object([:])

    /// Loads `path` (if it exists) and layers environment overrides on top.
    static func load(path: String?, environment: [String: String]) throws -> ConfigSource {
        var source = ConfigSource()
        if let path {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigError(key: "--config", "cannot read \(path): \(error.localizedDescription)")
            }
            source.tree = try parseYAML(text, file: path)
        }
        try source.validateKeys(source.tree, prefix: "")
        source.applyEnvironment(environment)
        try source.validateKeys(source.tree, prefix: "")
        return source
    }

    static func parseYAML(_ text: String, file: String) throws -> JSONValue {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw ConfigError(key: file, "not valid YAML: \(error)")
        }
        guard let loaded else { return .object([:]) }
        let value = convert(loaded)
        guard value.objectValue != nil else { throw ConfigError(key: file, "the top level must be a mapping of keys") }
        return value
    }

    private static func convert(_ value: Any) -> JSONValue {
        switch value {
        case let b as Bool: return .bool(b)
        case let i as Int: return .number(Double(i))
        case let d as Double: return .number(d)
        case let s as String: return .string(s)
        case let list as [Any]: return .array(list.map(convert))
        case let map as [String: Any]:
            return .object(OrderedDictionary(uniqueKeysWithValues: map.sorted { $0.key < $1.key }.map { ($0.key, convert($0.value)) }))
        case let map as [AnyHashable: Any]:
            return .object(OrderedDictionary(uniqueKeysWithValues: map.map { ("\($0.key)", convert($0.value)) }.sorted { $0.0 < $1.0 }))
        default: return .null
        }
    }

    /// The value at a dotted path, if set.
    func value(_ path: String) -> JSONValue? {
        var node = tree
        for part in path.split(separator: ".") {
            guard let next = node[String(part)] else { return nil }
            node = next
        }
        return node.nonNull
    }

    private func validateKeys(_ node: JSONValue, prefix: String) throws {
        guard let members = node.objectValue else { return }
        for (key, child) in members {
            let path = prefix.isEmpty ? key : prefix + "." + key
            if let kind = ConfigKeys.kinds[path] {
                try check(child, kind: kind, path: path)
            } else if ConfigKeys.all.contains(where: { $0.path.hasPrefix(path + ".") }) {
                guard child.objectValue != nil || child.isNull else { throw ConfigError(key: path, "must be a mapping") }
                try validateKeys(child, prefix: path)
            } else {
                throw ConfigError(key: path, "unknown key")
            }
        }
    }

    private func check(_ value: JSONValue, kind: ConfigKeys.Kind, path: String) throws {
        if value.isNull { return }
        switch kind {
        case .string: guard value.stringValue != nil else { throw ConfigError(key: path, "must be a string, got \(value.typeName)") }
        case .int: guard value.intValue != nil else { throw ConfigError(key: path, "must be a whole number, got \(value.serialized())") }
        case .bool: guard value.boolValue != nil else { throw ConfigError(key: path, "must be true or false, got \(value.serialized())") }
        case .stringList:
            guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw ConfigError(key: path, "must be a list of strings")
            }
        case .object: guard value.objectValue != nil else { throw ConfigError(key: path, "must be a mapping") }
        }
    }

    private mutating func applyEnvironment(_ environment: [String: String]) {
        if environment["NODE_ENV"] == "production", value("mode") == nil { set("mode", .string("production")) }
        for (name, path) in ConfigKeys.aliases {
            if let text = environment[name], let kind = ConfigKeys.kinds[path] { set(path, Self.parse(text, as: kind)) }
        }
        for (path, kind) in ConfigKeys.all where kind != .object {
            if let text = environment[ConfigKeys.environmentName(path)] { set(path, Self.parse(text, as: kind)) }
        }
        // Provider credentials belong in the environment: GATEHOUSE_SOCIAL_PROVIDERS_<ID>_<OPTION>,
        // for a provider named in the file or a built-in one.
        let configured = value("socialProviders")?.objectValue.map { Array($0.keys) } ?? []
        for id in Set(configured + ProviderSettings.builtInIDs) {
            for option in ProviderSettings.environmentKeys {
                let path = "socialProviders.\(id).\(option.key)"
                let name = ConfigKeys.environmentName(path).replacingOccurrences(of: "-", with: "_")
                guard let text = environment[name] else { continue }
                set(path, Self.parse(text, as: option.isList ? .stringList : option.isBool ? .bool : .string))
            }
        }
    }

    /// Environment values are text; numbers and booleans that do not parse stay text so
    /// that validation reports them against the key.
    private static func parse(_ text: String, as kind: ConfigKeys.Kind) -> JSONValue {
        switch kind {
        case .int: Int(text).map { .number(Double($0)) } ?? .string(text)
        case .bool:
            switch text.lowercased() {
            case "true", "1", "yes": .bool(true)
            case "false", "0", "no": .bool(false)
            default: .string(text)
            }
        case .stringList:
            .array(text.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 != "" })
        case .string, .object: .string(text)
        }
    }

    private mutating func set(_ path: String, _ value: JSONValue) {
        tree = Self.setting(tree, path: path.split(separator: ".").map(String.init)[...], to: value)
    }

    private static func setting(_ node: JSONValue, path: ArraySlice<String>, to value: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        var members = node.objectValue ?? [:]
        members[key] = setting(members[key] ?? .object([:]), path: path.dropFirst(), to: value)
        return .object(members)
    }
}
