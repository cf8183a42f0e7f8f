import Foundation
import GatehouseJSON
import OrderedCollections

/// A stored document (attributes without `id`, `meta` and `schemas`) under change by the
/// operations of RFC 7644 §3.5.2; a POST or PUT body is a `replace` of every attribute it holds.
/// A value type: a failed operation leaves the caller's copy as it was.
struct SCIMDocument {
    enum Operation: String { case add, replace, remove }

    let type: SCIMResourceType
    private(set) var members: OrderedDictionary<String, JSONValue>

    init(_ type: SCIMResourceType, members: OrderedDictionary<String, JSONValue>) {
        self.type = type
        self.members = members
    }

    /// One PATCH operation. Without a path, `value` is an object of attributes (add, replace).
    mutating func apply(_ op: Operation, path: SCIMPatchPath?, value: JSONValue?) throws(SCIMError) {
        guard let path else {
            guard op != .remove else { throw .noTarget("remove needs a path") }
            guard case .object(let attributes)? = value else { throw .invalidValue("without a path, the value must be an object of attributes") }
            try applyAttributes(op, attributes, in: nil)
            return
        }
        if path.targets.contains(where: { $0.mutability == .readOnly }) { throw .mutability("'\(path.reference.description)' is read-only") }
        if let sub = path.reference.subAttribute, sub.mutability == .immutable, op != .add {
            throw .mutability("'\(path.reference.description)' cannot be changed once set")
        }
        if path.targets.contains(where: { $0.mutability == .writeOnly }) { return }
        try edit(op, at: path, value: value)
    }

    /// The members of a value object or a request body, each an attribute name or a path (as
    /// Entra sends `name.givenName`). Unknown, read-only and write-only attributes are skipped.
    mutating func applyAttributes(_ op: Operation, _ attributes: OrderedDictionary<String, JSONValue>, in extensionURN: String?) throws(SCIMError) {
        for (key, value) in attributes {
            guard let path = try? SCIMPatchPath.parse(extensionURN.map { $0 + ":" + key } ?? key, for: type),
                  !path.targets.contains(where: { $0.mutability == .readOnly || $0.mutability == .writeOnly })
            else { continue }
            try edit(op, at: path, value: value)
        }
    }

    /// RFC 7643 §4: a User has a userName, a Group a displayName.
    func checkRequired() throws(SCIMError) {
        for attribute in type.core.attributes where attribute.required {
            guard case .string(let text)? = members[attribute.name], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .invalidValue("'\(attribute.name)' is required")
            }
        }
    }

    private mutating func edit(_ op: Operation, at path: SCIMPatchPath, value: JSONValue?) throws(SCIMError) {
        let reference = path.reference
        guard let attribute = reference.attribute else {
            // A whole extension: its attributes one by one, or all of it removed.
            guard let urn = reference.extensionURN else { return }
            guard op != .remove, let value, value != .null else { members.removeValue(forKey: urn); return }
            guard case .object(let attributes) = value else { throw .invalidValue("'\(urn)' must be an object") }
            try applyAttributes(op, attributes, in: urn)
            return
        }
        let name = reference.description
        let current = self[reference.extensionURN, attribute.name]
        if let filter = path.filter {
            self[reference.extensionURN, attribute.name] = try Self.editValues(current, op, attribute, reference.subAttribute, filter, value)
        } else if let sub = reference.subAttribute {
            let new = op == .remove ? nil : try SCIMValue.normalize(value ?? .null, as: sub, named: name)
            guard attribute.multiValued else {
                self[reference.extensionURN, attribute.name] = Self.setting(sub.name, new, in: current)
                return
            }
            // Without a filter, a sub-attribute of a multi-valued attribute is set in every value
            // (or in a first one).
            let items = current?.arrayValue ?? []
            let updated = items.isEmpty ? [Self.setting(sub.name, new, in: nil)] : items.map { Self.setting(sub.name, new, in: $0) }
            self[reference.extensionURN, attribute.name] = Self.array(updated.compactMap(\.self))
        } else {
            self[reference.extensionURN, attribute.name] = try Self.editAttribute(current, op, attribute, value, name: name)
        }
    }

    /// The value of a top-level attribute, in the core document or in an extension's object.
    private subscript(extensionURN: String?, name: String) -> JSONValue? {
        get {
            guard let extensionURN else { return members[name] }
            return members[extensionURN]?[name]
        }
        set {
            guard let extensionURN else {
                if let newValue { members[name] = newValue } else { members.removeValue(forKey: name) }
                return
            }
            var object = members[extensionURN]?.objectValue ?? [:]
            if let newValue { object[name] = newValue } else { object.removeValue(forKey: name) }
            if object.isEmpty { members.removeValue(forKey: extensionURN) } else { members[extensionURN] = .object(object) }
        }
    }
}

extension SCIMDocument {
    /// A whole attribute: add appends to a multi-valued one (skipping values already there) and
    /// merges a complex one; replace sets a multi-valued one and merges a complex one; remove
    /// unassigns it, or takes out of a multi-valued one just the values listed (as Entra removes
    /// group members with `[{"value": id}]`).
    private static func editAttribute(_ current: JSONValue?, _ op: Operation, _ attribute: SCIMAttribute, _ value: JSONValue?,
                                      name: String) throws(SCIMError) -> JSONValue? {
        if op == .remove {
            guard attribute.multiValued, let value, value != .null else { return nil }
            return try removing(value.arrayValue ?? [value], as: attribute, named: name, from: current?.arrayValue ?? [])
        }
        let incoming = try SCIMValue.normalize(value ?? .null, as: attribute, named: name)
        if attribute.multiValued {
            return op == .add ? appending(incoming?.arrayValue ?? [], to: current?.arrayValue ?? []) : incoming
        }
        if attribute.kind == .complex, case .object? = value {
            var merged = current?.objectValue ?? [:]
            for (key, sub) in incoming?.objectValue ?? [:] { merged[key] = sub }
            return merged.isEmpty ? nil : .object(merged)
        }
        return incoming
    }

    /// The values of a multi-valued attribute a filter selects: removed, or updated (a
    /// sub-attribute set, or the value merged). When none matches a filter of one `eq` on a
    /// sub-attribute, add and replace append a value with that sub-attribute, as Entra expects of
    /// `emails[type eq "work"].value`; otherwise there is no target.
    private static func editValues(_ current: JSONValue?, _ op: Operation, _ attribute: SCIMAttribute, _ sub: SCIMAttribute?,
                                   _ filter: SCIMFilter.Expression, _ value: JSONValue?) throws(SCIMError) -> JSONValue? {
        var items = current?.arrayValue ?? []
        let matched = items.indices.filter { filter.matches(items[$0]) }
        if op == .remove {
            let gone = Set(matched)
            items = items.indices.compactMap { index in
                guard gone.contains(index) else { return items[index] }
                return sub.flatMap { setting($0.name, nil, in: items[index]) }
            }
            return array(items)
        }
        let name = attribute.name + (sub.map { "." + $0.name } ?? "")
        if matched.isEmpty {
            items.append(try newValue(attribute, sub, filter, value, name: name))
            demotePrimaries(in: &items, keeping: [items.count - 1])
            return .array(items)
        }
        for index in matched {
            if let sub {
                let new = try SCIMValue.normalize(value ?? .null, as: sub, named: name)
                items[index] = setting(sub.name, new, in: items[index]) ?? .null
            } else {
                guard case .object(let fields)? = try SCIMValue.single(value ?? .null, as: attribute, named: name) else { continue }
                var merged = items[index].objectValue ?? [:]
                for (key, field) in fields { merged[key] = field }
                items[index] = .object(merged)
            }
        }
        demotePrimaries(in: &items, keeping: matched)
        items.removeAll { $0 == .null }
        return array(items)
    }

    private static func newValue(_ attribute: SCIMAttribute, _ sub: SCIMAttribute?, _ filter: SCIMFilter.Expression, _ value: JSONValue?,
                                 name: String) throws(SCIMError) -> JSONValue {
        guard case .compare(let operand, .eq, let literal) = filter, operand.keyPath.count == 1, let value, value != .null else {
            throw .noTarget("no value of '\(attribute.name)' matches the filter")
        }
        var fields: OrderedDictionary<String, JSONValue> = [operand.keyPath[0]: literal]
        if let sub {
            fields[sub.name] = value
        } else {
            guard case .object(let given) = value else { throw .invalidValue("'\(name)' must be an object") }
            for (key, field) in given { fields[key] = field }
        }
        guard let element = try SCIMValue.single(.object(fields), as: attribute, named: name) else {
            throw .noTarget("no value of '\(attribute.name)' matches the filter")
        }
        return element
    }

    /// A sub-attribute set (or, given nil, removed) in one complex value; nil when nothing is left.
    private static func setting(_ key: String, _ value: JSONValue?, in object: JSONValue?) -> JSONValue? {
        var fields = object?.objectValue ?? [:]
        if let value { fields[key] = value } else { fields.removeValue(forKey: key) }
        return fields.isEmpty ? nil : .object(fields)
    }

    /// A multi-valued attribute's values; nil (unassigned) when there are none.
    private static func array(_ items: [JSONValue]) -> JSONValue? {
        items.isEmpty ? nil : .array(items)
    }

    private static func appending(_ new: [JSONValue], to existing: [JSONValue]) -> JSONValue? {
        var items = existing
        var seen = Set(items.map(SCIMValue.identity))
        var added: [Int] = []
        for item in new where seen.insert(SCIMValue.identity(item)).inserted {
            added.append(items.count)
            items.append(item)
        }
        demotePrimaries(in: &items, keeping: added)
        return array(items)
    }

    /// The values that agree with one of the patterns on every sub-attribute the pattern names.
    private static func removing(_ patterns: [JSONValue], as attribute: SCIMAttribute, named name: String,
                                 from items: [JSONValue]) throws(SCIMError) -> JSONValue? {
        var wanted: [[String]: Set<String>] = [:]
        for pattern in patterns {
            guard case .object(let fields)? = try SCIMValue.single(pattern, as: attribute, named: name) else { continue }
            wanted[fields.keys.sorted(), default: []].insert(SCIMValue.identity(.object(fields)))
        }
        let kept = items.filter { item in
            !wanted.contains { keys, identities in
                let projected = OrderedDictionary(uniqueKeysWithValues: keys.compactMap { key in item[key].map { (key, $0) } })
                return identities.contains(SCIMValue.identity(.object(projected)))
            }
        }
        return array(kept)
    }

    /// RFC 7644 §3.5.2: a value a PATCH makes primary takes the flag from the other values.
    private static func demotePrimaries(in items: inout [JSONValue], keeping kept: [Int]) {
        guard kept.contains(where: { items[$0]["primary"] == .bool(true) }) else { return }
        let keep = Set(kept)
        for index in items.indices where !keep.contains(index) && items[index]["primary"] == .bool(true) {
            if case .object(var fields) = items[index] {
                fields["primary"] = .bool(false)
                items[index] = .object(fields)
            }
        }
    }
}
