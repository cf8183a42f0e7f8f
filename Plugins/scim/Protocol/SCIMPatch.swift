import GatehouseJSON

/// RFC 7644 §3.5.2 PATCH, with the liberties Microsoft Entra ID takes (capitalised `op`s,
/// `"True"`/`"False"` booleans, paths as keys of a value object).
public enum SCIMPatch {
    public static let schema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

    /// Bounds the work one request can ask for.
    static let maxOperations = 1000

    /// Applies a PatchOp request body to a stored document, all operations or none, and returns the new document.
    public static func apply(_ request: JSONValue, to document: JSONValue, as type: SCIMResourceType) throws(SCIMError) -> JSONValue {
        guard case .object(let body) = request else { throw .invalidSyntax("the request body must be a JSON object") }
        guard let schemas = SCIMValue.member(body, "schemas")?.arrayValue,
              schemas.contains(where: { $0.stringValue?.lowercased() == schema.lowercased() })
        else { throw .invalidSyntax("'schemas' must list \(schema)") }
        guard case .array(let operations)? = SCIMValue.member(body, "Operations"), !operations.isEmpty else {
            throw .invalidSyntax("'Operations' must be a non-empty array")
        }
        guard operations.count <= maxOperations else { throw .invalidSyntax("more than \(maxOperations) operations") }
        var edited = SCIMDocument(type, members: document.objectValue ?? [:])
        for (index, operation) in operations.enumerated() {
            guard case .object(let fields) = operation else { throw .invalidSyntax("Operations[\(index)] must be an object") }
            guard let name = SCIMValue.member(fields, "op")?.stringValue, let op = SCIMDocument.Operation(rawValue: name.lowercased()) else {
                throw .invalidValue("Operations[\(index)]: 'op' must be add, replace or remove")
            }
            let path: SCIMPatchPath?
            switch SCIMValue.member(fields, "path") {
            case nil, .null?: path = nil
            case .string(let text)? where text.allSatisfy(\.isWhitespace): path = nil
            case .string(let text)?: path = try SCIMPatchPath.parse(text, for: type)
            default: throw .invalidPath("Operations[\(index)]: 'path' must be a string")
            }
            let value = SCIMValue.member(fields, "value")
            if op != .remove, value == nil { throw .invalidValue("Operations[\(index)]: \(op.rawValue) needs a 'value'") }
            try edited.apply(op, path: path, value: value)
        }
        try edited.checkRequired()
        return .object(edited.members)
    }
}
