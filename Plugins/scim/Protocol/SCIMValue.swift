import GatehouseJSON
import OrderedCollections

/// Checks a value sent for an attribute against the attribute's definition and brings it to
/// its stored form: canonical sub-attribute names, unknown and read-only sub-attributes dropped.
enum SCIMValue {
    /// The stored value, or nil when the attribute ends up unassigned (null, `[]`, `{}`).
    static func normalize(_ value: JSONValue, as attribute: SCIMAttribute, named name: String) throws(SCIMError) -> JSONValue? {
        // Gatehouse stores no write-only attribute (passwords are not taken over SCIM).
        if value == .null || attribute.mutability == .writeOnly { return nil }
        guard attribute.multiValued else { return try single(value, as: attribute, named: name) }
        guard case .array(let items) = value else { throw .invalidValue("'\(name)' must be an array") }
        var kept: [JSONValue] = []
        for item in items {
            if let normalized = try single(item, as: attribute, named: name) { kept.append(normalized) }
        }
        return kept.isEmpty ? nil : .array(kept)
    }

    /// One value of the attribute (the attribute itself, or one element when multi-valued).
    static func single(_ value: JSONValue, as attribute: SCIMAttribute, named name: String) throws(SCIMError) -> JSONValue? {
        if value == .null { return nil }
        switch attribute.kind {
        case .complex:
            // Microsoft Entra ID sends the enterprise `manager` as the manager's id alone.
            if case .string = value, !attribute.multiValued, let sub = attribute.subAttribute("value") { return .object([sub.name: value]) }
            guard case .object(let members) = value else { throw .invalidValue("'\(name)' must be an object") }
            var result = OrderedDictionary<String, JSONValue>()
            for (key, item) in members {
                guard let sub = attribute.subAttribute(key), sub.mutability != .readOnly else { continue }
                if let normalized = try normalize(item, as: sub, named: name + "." + sub.name) { result[sub.name] = normalized }
            }
            return result.isEmpty ? nil : .object(result)
        case .boolean:
            guard let flag = boolean(value) else { throw .invalidValue("'\(name)' must be a boolean") }
            return .bool(flag)
        case .string, .reference, .dateTime:
            guard case .string = value else { throw .invalidValue("'\(name)' must be a string") }
            return value
        }
    }

    /// A boolean, or the strings "True" and "False" Microsoft Entra ID sends for one.
    static func boolean(_ value: JSONValue) -> Bool? {
        switch value {
        case .bool(let flag): flag
        case .string(let text) where text.lowercased() == "true": true
        case .string(let text) where text.lowercased() == "false": false
        default: nil
        }
    }

    /// The member called `key`, in any case (SCIM names are case-insensitive, RFC 7643 §2.1).
    static func member(_ members: OrderedDictionary<String, JSONValue>, _ key: String) -> JSONValue? {
        if let exact = members[key] { return exact }
        let lowered = key.lowercased()
        return members.first { $0.key.lowercased() == lowered }?.value
    }

    /// A key equal for equal values whatever the order of their members, to spot duplicates.
    static func identity(_ value: JSONValue) -> String {
        sorted(value).serialized()
    }

    private static func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            .object(OrderedDictionary(uniqueKeysWithValues: members.sorted { $0.key < $1.key }.map { ($0.key, sorted($0.value)) }))
        case .array(let items): .array(items.map(sorted))
        default: value
        }
    }
}
