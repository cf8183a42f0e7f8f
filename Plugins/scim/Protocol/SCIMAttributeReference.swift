/// An attribute named by text — `title`, `name.givenName`, `urn:…:core:2.0:User:userName`,
/// `urn:…:enterprise:2.0:User:manager.value`, or a bare extension URN for the whole extension —
/// resolved, in any case (RFC 7643 §2.1), against a resource type's schemas.
struct SCIMAttributeReference: Sendable, CustomStringConvertible {
    /// The extension schema holding the attribute; nil for the core schema.
    let extensionURN: String?
    /// The top-level attribute; nil when the reference is a whole extension.
    let attribute: SCIMAttribute?
    let subAttribute: SCIMAttribute?

    init(extensionURN: String?, attribute: SCIMAttribute?, subAttribute: SCIMAttribute? = nil) {
        self.extensionURN = extensionURN
        self.attribute = attribute
        self.subAttribute = subAttribute
    }

    /// nil when `text` names no attribute of `type`.
    init?(_ text: String, in type: SCIMResourceType) {
        var rest = Substring(text)
        var schema: SCIMSchemaDefinition?
        if let urnEnd = text.lastIndex(of: ":") {
            let urn = text[..<urnEnd]
            if let extensionSchema = type.extensionSchema(text) {
                self.init(extensionURN: extensionSchema.id, attribute: nil)
                return
            } else if let extensionSchema = type.extensionSchema(urn) {
                schema = extensionSchema
            } else if urn.lowercased() != type.coreSchema.lowercased() {
                return nil
            }
            rest = text[text.index(after: urnEnd)...]
        }
        let names = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard names.count <= 2 else { return nil }
        let attribute = if let schema {
            schema.attribute(names[0])
        } else {
            type.coreAttributes.first { $0.name.lowercased() == names[0].lowercased() }
        }
        guard let attribute else { return nil }
        var subAttribute: SCIMAttribute?
        if names.count == 2 {
            guard let sub = attribute.subAttribute(names[1]) else { return nil }
            subAttribute = sub
        }
        self.init(extensionURN: schema?.id, attribute: attribute, subAttribute: subAttribute)
    }

    /// Where the value sits in a document or resource: canonical names, the extension URN first.
    var keyPath: [String] { [extensionURN, attribute?.name, subAttribute?.name].compactMap(\.self) }

    /// The definition of what is named; nil for a whole extension.
    var leaf: SCIMAttribute? { subAttribute ?? attribute }

    /// The name as RFC 7644 writes it, for error messages.
    var description: String {
        let local = [attribute?.name, subAttribute?.name].compactMap(\.self).joined(separator: ".")
        guard let extensionURN else { return local }
        return local.isEmpty ? extensionURN : extensionURN + ":" + local
    }
}
