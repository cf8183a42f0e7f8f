import GatehouseJSON

/// A parsed SCIM filter (RFC 7644 §3.4.2.2), checked against the attributes Gatehouse lets
/// clients filter on.
public struct SCIMFilter: Sendable {
    /// The filter's syntax tree; attribute key paths are in canonical spelling.
    indirect enum Expression: Sendable {
        case and([Expression])
        case or([Expression])
        case not(Expression)
        case present(Operand)
        case compare(Operand, Operator, JSONValue)
        /// Some value of the (multi-valued) complex attribute at the key path satisfies the
        /// expression, whose operands are relative to that value.
        case valuePath([String], Expression)
    }

    enum Operator: String, Sendable { case eq, ne, co, sw, ew, gt, ge, lt, le }

    /// An attribute a comparison reads, and its definition (for its type and case rules).
    struct Operand: Sendable {
        let keyPath: [String]
        let attribute: SCIMAttribute
    }

    let expression: Expression

    /// Parses a `filter` query parameter; bad syntax, an attribute outside `isFilterable`, or a
    /// value of the wrong type for its attribute is a 400 `invalidFilter`.
    public static func parse(_ text: String, for type: SCIMResourceType) throws(SCIMError) -> SCIMFilter {
        var parser = try SCIMFilterParser(text, type: type, mode: .query)
        return SCIMFilter(expression: try parser.parseFilter())
    }

    /// Whether an output resource (with `id`, `externalId`, `meta.created`/`lastModified` and the
    /// enterprise extension under its URN) matches the filter.
    public func matches(_ resource: JSONValue) -> Bool {
        expression.matches(resource)
    }
}

extension SCIMFilter {
    /// The attributes a client may filter on: the ones identity providers look users and groups
    /// up by, so that no filter reads (or times) attributes Gatehouse did not mean to expose.
    static func isFilterable(_ keyPath: [String], in type: SCIMResourceType) -> Bool {
        let name = keyPath.joined(separator: ".").lowercased()
        switch type {
        case .user:
            return ["id", "externalid", "username", "displayname", "name.givenname", "name.familyname", "name.formatted", "emails",
                    "emails.value", "emails.type", "emails.primary", "active", "meta.created", "meta.lastmodified"].contains(name)
        case .group:
            return ["id", "externalid", "displayname", "members", "members.value"].contains(name)
        }
    }
}
