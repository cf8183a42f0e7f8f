/// A PATCH target (RFC 7644 §3.5.2): an attribute, a sub-attribute or a whole extension,
/// optionally narrowed by a value filter to some values of a multi-valued attribute (and then
/// `reference.subAttribute` is the sub-attribute written in those values).
struct SCIMPatchPath: Sendable {
    let reference: SCIMAttributeReference
    let filter: SCIMFilter.Expression?

    /// Parses `title`, `name.givenName`, `urn:…:User:manager.value`, `emails[type eq "work"].value`, …;
    /// an unknown attribute or malformed path is `invalidPath`.
    static func parse(_ text: String, for type: SCIMResourceType) throws(SCIMError) -> SCIMPatchPath {
        var parser = try SCIMFilterParser(text, type: type, mode: .patchPath)
        return try parser.parsePatchPath()
    }

    /// The attribute and sub-attribute the path names, for mutability checks.
    var targets: [SCIMAttribute] { [reference.attribute, reference.subAttribute].compactMap(\.self) }
}
