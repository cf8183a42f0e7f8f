/// The two resource types Gatehouse serves over SCIM (RFC 7643 §4).
public enum SCIMResourceType: Sendable {
    case user, group

    /// The resource type's name, as published on `/ResourceTypes` and in `meta.resourceType`.
    public var name: String {
        switch self {
        case .user: "User"
        case .group: "Group"
        }
    }

    /// The endpoint relative to the SCIM base URL.
    public var endpoint: String {
        switch self {
        case .user: "/Users"
        case .group: "/Groups"
        }
    }

    public var coreSchema: String { core.id }

    public var extensionSchemas: [String] { extensions.map(\.id) }

    var core: SCIMSchemaDefinition {
        switch self {
        case .user: .user
        case .group: .group
        }
    }

    var extensions: [SCIMSchemaDefinition] {
        switch self {
        case .user: [.enterpriseUser]
        case .group: []
        }
    }

    /// Attributes a resource has besides its published core schema: the common attributes of
    /// RFC 7643 §3.1, and the User attributes Gatehouse knows but does not take over SCIM.
    var unpublishedAttributes: [SCIMAttribute] {
        switch self {
        case .user: SCIMAttribute.common + [SCIMAttribute.groups, SCIMAttribute.password]
        case .group: SCIMAttribute.common
        }
    }

    /// The top-level attributes of the core schema, unpublished ones included.
    var coreAttributes: [SCIMAttribute] { core.attributes + unpublishedAttributes }

    /// The extension whose URN is `urn` (any case).
    func extensionSchema(_ urn: some StringProtocol) -> SCIMSchemaDefinition? {
        extensions.first { $0.id.lowercased() == urn.lowercased() }
    }
}
