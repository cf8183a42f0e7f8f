import Foundation
import GatehouseJSON
import OrderedCollections

/// RFC 7644 §3.9: the `attributes` and `excludedAttributes` query parameters.
public enum SCIMProjection {
    /// The resource cut down to the attributes asked for (or without the ones excluded; `attributes`
    /// wins when both are given). `id` and `schemas` always stay; unknown names are ignored.
    public static func project(_ resource: JSONValue, attributes: String?, excludedAttributes: String?, as type: SCIMResourceType) -> JSONValue {
        if let names = list(attributes) {
            let paths = names.compactMap { SCIMAttributeReference($0, in: type)?.keyPath } + [["id"], ["schemas"]]
            return picking(paths, from: resource) ?? .object([:])
        }
        if let names = list(excludedAttributes) {
            let paths = names.compactMap { SCIMAttributeReference($0, in: type)?.keyPath }.filter { $0 != ["id"] }
            return dropping(paths, from: resource) ?? .object([:])
        }
        return resource
    }

    /// The comma-separated names of a parameter; nil when absent or empty.
    private static func list(_ parameter: String?) -> [String]? {
        let names = (parameter ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return names.isEmpty ? nil : names
    }

    /// Key paths matching the key (in any case), without their first key.
    private static func rests(_ paths: [[String]], under key: String) -> [[String]] {
        let lowered = key.lowercased()
        return paths.filter { $0.first?.lowercased() == lowered }.map { Array($0.dropFirst()) }
    }

    /// Only what the key paths lead to; a path ending here keeps the whole value.
    private static func picking(_ paths: [[String]], from value: JSONValue) -> JSONValue? {
        if paths.contains(where: \.isEmpty) { return value }
        switch value {
        case .object(let members):
            var kept = OrderedDictionary<String, JSONValue>()
            for (key, child) in members {
                let rest = rests(paths, under: key)
                if !rest.isEmpty, let picked = picking(rest, from: child) { kept[key] = picked }
            }
            return kept.isEmpty ? nil : .object(kept)
        case .array(let items):
            let picked = items.compactMap { picking(paths, from: $0) }
            return picked.isEmpty ? nil : .array(picked)
        default:
            return nil
        }
    }

    /// Everything but what the key paths lead to.
    private static func dropping(_ paths: [[String]], from value: JSONValue) -> JSONValue? {
        if paths.contains(where: \.isEmpty) { return nil }
        switch value {
        case .object(let members):
            var kept = OrderedDictionary<String, JSONValue>()
            for (key, child) in members {
                let rest = rests(paths, under: key)
                if rest.isEmpty { kept[key] = child } else if let remaining = dropping(rest, from: child) { kept[key] = remaining }
            }
            return kept.isEmpty ? nil : .object(kept)
        case .array(let items):
            let remaining = items.compactMap { dropping(paths, from: $0) }
            return remaining.isEmpty ? nil : .array(remaining)
        default:
            return value
        }
    }
}
