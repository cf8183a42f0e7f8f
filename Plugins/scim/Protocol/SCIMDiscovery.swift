import GatehouseJSON

/// The discovery resources of RFC 7644 §4: `/Schemas`, `/ResourceTypes` and `/ServiceProviderConfig`.
public enum SCIMDiscovery {
    /// The User, Enterprise User and Group schema resources (RFC 7643 §7); `baseURL` is the
    /// absolute SCIM root, e.g. `http://127.0.0.1:3000/api/auth/scim/v2`.
    public static func schemas(baseURL: String) -> [JSONValue] {
        [SCIMSchemaDefinition.user, .enterpriseUser, .group].map { schema in
            [
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
                "id": .string(schema.id), "name": .string(schema.name), "description": .string(schema.description),
                "attributes": .array(schema.attributes.map(\.json)),
                "meta": ["resourceType": "Schema", "location": .string(baseURL + "/Schemas/" + schema.id)],
            ]
        }
    }

    /// The User and Group resource types (RFC 7643 §6).
    public static func resourceTypes(baseURL: String) -> [JSONValue] {
        [SCIMResourceType.user, .group].map { type in
            [
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                "id": .string(type.name), "name": .string(type.name), "endpoint": .string(type.endpoint),
                "description": .string(type.core.description), "schema": .string(type.coreSchema),
                "schemaExtensions": .array(type.extensionSchemas.map { ["schema": .string($0), "required": false] }),
                "meta": ["resourceType": "ResourceType", "location": .string(baseURL + "/ResourceTypes/" + type.name)],
            ]
        }
    }

    /// What Gatehouse supports (RFC 7643 §5): PATCH and filters, no bulk, sorting, ETags or password changes.
    public static func serviceProviderConfig(baseURL: String) -> JSONValue {
        [
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": ["supported": true],
            "bulk": ["supported": false, "maxOperations": 0, "maxPayloadSize": 0],
            "filter": ["supported": true, "maxResults": 100],
            "changePassword": ["supported": false],
            "sort": ["supported": false],
            "etag": ["supported": false],
            "authenticationSchemes": [[
                "type": "oauthbearertoken", "name": "OAuth Bearer Token",
                "description": "Authentication with a bearer token (RFC 6750) issued for SCIM provisioning.",
                "specUri": "https://www.rfc-editor.org/info/rfc6750", "primary": true,
            ]],
            "meta": ["resourceType": "ServiceProviderConfig", "location": .string(baseURL + "/ServiceProviderConfig")],
        ]
    }
}
