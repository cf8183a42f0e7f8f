import GatehouseJSON
import OrderedCollections

/// An attribute definition with the characteristics of RFC 7643 §2.2 and §7.
struct SCIMAttribute: Sendable {
    enum Kind: String, Sendable { case string, boolean, complex, reference, dateTime }
    enum Mutability: String, Sendable { case readOnly, readWrite, immutable, writeOnly }

    let name: String
    let kind: Kind
    let description: String
    var multiValued = false
    var required = false
    var caseExact = false
    var mutability = Mutability.readWrite
    var returned = "default"
    var uniqueness = "none"
    var canonicalValues: [String] = []
    var referenceTypes: [String] = []
    var subAttributes: [SCIMAttribute] = []

    /// The sub-attribute called `name`, in any case (RFC 7643 §2.1).
    func subAttribute(_ name: some StringProtocol) -> SCIMAttribute? {
        subAttributes.first { $0.name.lowercased() == name.lowercased() }
    }

    /// The definition as a `/Schemas` resource lists it.
    var json: JSONValue {
        var members: OrderedDictionary<String, JSONValue> = [
            "name": .string(name), "type": .string(kind.rawValue), "multiValued": .bool(multiValued),
            "description": .string(description), "required": .bool(required),
        ]
        if kind != .complex { members["caseExact"] = .bool(caseExact) }
        if !canonicalValues.isEmpty { members["canonicalValues"] = .array(canonicalValues.map(JSONValue.string)) }
        if !referenceTypes.isEmpty { members["referenceTypes"] = .array(referenceTypes.map(JSONValue.string)) }
        if !subAttributes.isEmpty { members["subAttributes"] = .array(subAttributes.map(\.json)) }
        members["mutability"] = .string(mutability.rawValue)
        members["returned"] = .string(returned)
        members["uniqueness"] = .string(uniqueness)
        return .object(members)
    }
}

/// Builders that keep the schema tables in `SCIMSchemaDefinition` one line per attribute.
extension SCIMAttribute {
    static func string(_ name: String, _ description: String, caseExact: Bool = false, mutability: Mutability = .readWrite,
                       canonicalValues: [String] = []) -> SCIMAttribute {
        SCIMAttribute(name: name, kind: .string, description: description, caseExact: caseExact, mutability: mutability,
                      canonicalValues: canonicalValues)
    }

    static func boolean(_ name: String, _ description: String) -> SCIMAttribute {
        SCIMAttribute(name: name, kind: .boolean, description: description)
    }

    static func reference(_ name: String, _ description: String, types: [String], mutability: Mutability = .readWrite) -> SCIMAttribute {
        SCIMAttribute(name: name, kind: .reference, description: description, caseExact: true, mutability: mutability, referenceTypes: types)
    }

    static func complex(_ name: String, _ description: String, multiValued: Bool = false, mutability: Mutability = .readWrite,
                        _ subAttributes: [SCIMAttribute]) -> SCIMAttribute {
        SCIMAttribute(name: name, kind: .complex, description: description, multiValued: multiValued, mutability: mutability,
                      subAttributes: subAttributes)
    }

    func with(_ change: (inout SCIMAttribute) -> Void) -> SCIMAttribute {
        var copy = self
        change(&copy)
        return copy
    }
}
