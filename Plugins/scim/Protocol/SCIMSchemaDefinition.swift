/// A schema Gatehouse publishes on `/Schemas` (RFC 7643 §7): the attributes it accepts and returns.
struct SCIMSchemaDefinition: Sendable {
    let id: String
    let name: String
    let description: String
    let attributes: [SCIMAttribute]

    /// The top-level attribute called `name`, in any case.
    func attribute(_ name: some StringProtocol) -> SCIMAttribute? {
        attributes.first { $0.name.lowercased() == name.lowercased() }
    }
}

/// The schemas of RFC 7643 §4 and §8.7.1, reduced to what Gatehouse stores: no passwords,
/// group memberships (read from the groups), ims, photos or certificates.
extension SCIMSchemaDefinition {
    static let user = SCIMSchemaDefinition(
        id: "urn:ietf:params:scim:schemas:core:2.0:User", name: "User", description: "User Account",
        attributes: [
            SCIMAttribute.string("userName", "Unique identifier for the User, typically used by the user to directly authenticate.")
                .with { $0.required = true; $0.uniqueness = "server" },
            .complex("name", "The components of the user's real name.", [
                .string("formatted", "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display."),
                .string("familyName", "The family name of the User, or last name in most Western languages."),
                .string("givenName", "The given name of the User, or first name in most Western languages."),
                .string("middleName", "The middle name(s) of the User."),
                .string("honorificPrefix", "The honorific prefix(es) of the User, or title in most Western languages."),
                .string("honorificSuffix", "The honorific suffix(es) of the User, or suffix in most Western languages."),
            ]),
            .string("displayName", "The name of the User, suitable for display to end-users."),
            .string("nickName", "The casual way to address the user in real life."),
            .reference("profileUrl", "A fully qualified URL pointing to a page representing the User's online profile.", types: ["external"]),
            .string("title", "The user's title, such as \"Vice President\"."),
            .string("userType", "Used to identify the relationship between the organization and the user."),
            .string("preferredLanguage", "Indicates the User's preferred written or spoken language."),
            .string("locale", "Used to indicate the User's default location for purposes of localizing items such as currency."),
            .string("timezone", "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
            .boolean("active", "A Boolean value indicating the User's administrative status."),
            .complex("emails", "Email addresses for the user.", multiValued: true,
                     plural(value: "Email addresses for the user.", types: ["work", "home", "other"])),
            .complex("phoneNumbers", "Phone numbers for the User.", multiValued: true,
                     plural(value: "Phone number of the User.", types: ["work", "home", "mobile", "fax", "pager", "other"])),
            .complex("addresses", "A physical mailing address for this User.", multiValued: true, [
                .string("formatted", "The full mailing address, formatted for display or use with a mailing label."),
                .string("streetAddress", "The full street address component."),
                .string("locality", "The city or locality component."),
                .string("region", "The state or region component."),
                .string("postalCode", "The zip code or postal code component."),
                .string("country", "The country name component."),
                .string("type", "A label indicating the attribute's function, e.g., 'work' or 'home'.", canonicalValues: ["work", "home", "other"]),
                .boolean("primary", "A Boolean value indicating the 'primary' or preferred address."),
            ]),
            .complex("entitlements", "A list of entitlements for the User that represent a thing the User has.", multiValued: true,
                     plural(value: "The value of an entitlement.", types: [])),
            .complex("roles", "A list of roles for the User that collectively represent who the User is.", multiValued: true,
                     plural(value: "The value of a role.", types: [])),
        ])

    static let enterpriseUser = SCIMSchemaDefinition(
        id: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", name: "EnterpriseUser", description: "Enterprise User",
        attributes: [
            .string("employeeNumber", "Numeric or alphanumeric identifier assigned to a person within an organization."),
            .string("costCenter", "Identifies the name of a cost center."),
            .string("organization", "Identifies the name of an organization."),
            .string("division", "Identifies the name of a division."),
            .string("department", "Identifies the name of a department."),
            .complex("manager", "The User's manager.", [
                .string("value", "The id of the SCIM resource representing the User's manager."),
                .reference("$ref", "The URI of the SCIM resource representing the User's manager.", types: ["User"]),
                .string("displayName", "The displayName of the User's manager.", mutability: .readOnly),
            ]),
        ])

    static let group = SCIMSchemaDefinition(
        id: "urn:ietf:params:scim:schemas:core:2.0:Group", name: "Group", description: "Group",
        attributes: [
            SCIMAttribute.string("displayName", "A human-readable name for the Group.").with { $0.required = true },
            .complex("members", "A list of members of the Group.", multiValued: true, [
                .string("value", "Identifier of the member of this Group.", caseExact: true, mutability: .immutable),
                .reference("$ref", "The URI corresponding to a SCIM resource that is a member of this Group.", types: ["User", "Group"],
                           mutability: .immutable),
                .string("type", "A label indicating the type of resource, e.g., 'User' or 'Group'.", mutability: .immutable,
                        canonicalValues: ["User", "Group"]),
                .string("display", "A human-readable name for the member.", mutability: .readOnly),
            ]),
        ])

    /// The sub-attributes of RFC 7643 §2.4 for a multi-valued attribute (emails, roles, …).
    private static func plural(value: String, types: [String]) -> [SCIMAttribute] {
        [
            .string("value", value),
            .string("display", "A human-readable name, primarily used for display purposes."),
            .string("type", "A label indicating the attribute's function.", canonicalValues: types),
            .boolean("primary", "A Boolean value indicating the 'primary' or preferred attribute value for this attribute."),
        ]
    }
}

/// Attributes outside the published schemas.
extension SCIMAttribute {
    /// RFC 7643 §3.1: `id`, `externalId` and `meta`, on every resource.
    static let common: [SCIMAttribute] = [
        SCIMAttribute.string("id", "A unique identifier for a SCIM resource as defined by the service provider.", caseExact: true,
                             mutability: .readOnly).with { $0.returned = "always"; $0.uniqueness = "server" },
        .string("externalId", "An identifier for the resource as defined by the provisioning client.", caseExact: true),
        .complex("meta", "A complex attribute containing resource metadata.", mutability: .readOnly, [
            .string("resourceType", "The name of the resource type of the resource.", caseExact: true, mutability: .readOnly),
            SCIMAttribute(name: "created", kind: .dateTime, description: "When the resource was added.", mutability: .readOnly),
            SCIMAttribute(name: "lastModified", kind: .dateTime, description: "When the resource was last updated.", mutability: .readOnly),
            .reference("location", "The URI of the resource.", types: ["uri"], mutability: .readOnly),
            .string("version", "The version of the resource.", caseExact: true, mutability: .readOnly),
        ]),
    ]

    /// The groups a User belongs to: derived from the groups' members, so never written on the User.
    static let groups = SCIMAttribute.complex("groups", "A list of groups to which the user belongs.", multiValued: true, mutability: .readOnly, [
        .string("value", "The identifier of the User's group.", mutability: .readOnly),
        .reference("$ref", "The URI of the corresponding 'Group' resource.", types: ["Group"], mutability: .readOnly),
        .string("display", "A human-readable name for the group.", mutability: .readOnly),
        .string("type", "A label indicating the attribute's function.", mutability: .readOnly),
    ])

    /// Gatehouse does not take passwords over SCIM: a password sent is accepted and discarded.
    static let password = SCIMAttribute.string("password", "The User's cleartext password.", mutability: .writeOnly)
        .with { $0.returned = "never" }
}
