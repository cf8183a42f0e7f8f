import GatehouseJSON

/// The body of a POST or PUT (RFC 7644 §3.3, §3.5.1) as the document Gatehouse stores.
public enum SCIMResourceInput {
    /// Checks a POST/PUT body and returns the stored document: canonical attribute names, the
    /// enterprise extension under its URN, no `id`, `meta`, `schemas` or read-only attributes.
    public static func normalize(_ body: JSONValue, as type: SCIMResourceType) throws(SCIMError) -> JSONValue {
        guard case .object(let fields) = body else { throw .invalidSyntax("the request body must be a JSON object") }
        guard let schemas = SCIMValue.member(fields, "schemas")?.arrayValue,
              schemas.contains(where: { $0.stringValue?.lowercased() == type.coreSchema.lowercased() })
        else { throw .invalidValue("'schemas' must list \(type.coreSchema)") }
        var document = SCIMDocument(type, members: [:])
        try document.applyAttributes(.replace, fields, in: nil)
        try document.checkRequired()
        return .object(document.members)
    }
}
