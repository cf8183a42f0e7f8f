import GatehouseJSON
import SCIMProtocol
import Testing

@Suite struct SCIMDiscoveryTests {
    let base = "http://127.0.0.1:3000/api/auth/scim/v2"

    func attribute(_ schema: JSONValue, _ name: String) -> JSONValue? {
        schema["attributes"]?.arrayValue?.first { $0["name"] == .string(name) }
    }

    @Test func schemasListUserEnterpriseUserAndGroup() throws {
        let schemas = SCIMDiscovery.schemas(baseURL: base)
        #expect(schemas.map { $0["id"] } == [
            "urn:ietf:params:scim:schemas:core:2.0:User", .string(enterpriseURN), "urn:ietf:params:scim:schemas:core:2.0:Group",
        ])
        for schema in schemas {
            #expect(schema["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Schema"])
            #expect(schema["meta"] == ["resourceType": "Schema", "location": .string(base + "/Schemas/" + schema["id"]!.stringValue!)])
        }
        let user = schemas[0]
        let names = user["attributes"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["userName", "name", "displayName", "nickName", "profileUrl", "title", "userType", "preferredLanguage", "locale",
                          "timezone", "active", "emails", "phoneNumbers", "addresses", "entitlements", "roles"])
        #expect(attribute(user, "userName") == [
            "name": "userName", "type": "string", "multiValued": false,
            "description": "Unique identifier for the User, typically used by the user to directly authenticate.",
            "required": true, "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "server",
        ])
        #expect(attribute(user, "profileUrl")?["referenceTypes"] == ["external"])
        #expect(attribute(user, "active")?["type"] == "boolean")
        let emails = try #require(attribute(user, "emails"))
        #expect(emails["multiValued"] == true)
        #expect(emails["subAttributes"]?.arrayValue?.map { $0["name"] } == ["value", "display", "type", "primary"])
        #expect(emails["subAttributes"]?.arrayValue?[2]["canonicalValues"] == ["work", "home", "other"])
        #expect(attribute(user, "phoneNumbers")?["subAttributes"]?.arrayValue?[2]["canonicalValues"]
                == ["work", "home", "mobile", "fax", "pager", "other"])

        let manager = try #require(attribute(schemas[1], "manager"))
        let managerSubs = manager["subAttributes"]?.arrayValue ?? []
        #expect(managerSubs.map { $0["name"] } == ["value", "$ref", "displayName"])
        #expect(managerSubs[1]["referenceTypes"] == ["User"])
        #expect(managerSubs[2]["mutability"] == "readOnly")

        let group = schemas[2]
        #expect(attribute(group, "displayName")?["required"] == true)
        let members = try #require(attribute(group, "members")?["subAttributes"]?.arrayValue)
        #expect(members.map { $0["mutability"] } == ["immutable", "immutable", "immutable", "readOnly"])
        #expect(members[1]["referenceTypes"] == ["User", "Group"])
        #expect(members[2]["canonicalValues"] == ["User", "Group"])
    }

    @Test func unpublishedAttributesStayUnpublished() {
        let published = SCIMDiscovery.schemas(baseURL: base).flatMap { $0["attributes"]?.arrayValue ?? [] }.compactMap { $0["name"]?.stringValue }
        for name in ["id", "externalId", "meta", "password", "groups", "ims", "photos", "x509Certificates"] {
            #expect(!published.contains(name), "\(name)")
        }
    }

    @Test func resourceTypes() {
        #expect(SCIMDiscovery.resourceTypes(baseURL: base) == [
            [
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User", "name": "User", "endpoint": "/Users",
                "description": "User Account", "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
                "schemaExtensions": [["schema": .string(enterpriseURN), "required": false]],
                "meta": ["resourceType": "ResourceType", "location": .string(base + "/ResourceTypes/User")],
            ],
            [
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "Group", "name": "Group", "endpoint": "/Groups",
                "description": "Group", "schema": "urn:ietf:params:scim:schemas:core:2.0:Group", "schemaExtensions": [],
                "meta": ["resourceType": "ResourceType", "location": .string(base + "/ResourceTypes/Group")],
            ],
        ])
    }

    @Test func serviceProviderConfig() {
        let config = SCIMDiscovery.serviceProviderConfig(baseURL: base)
        #expect(config["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
        #expect(config["patch"] == ["supported": true])
        #expect(config["filter"] == ["supported": true, "maxResults": 100])
        #expect(config["bulk"] == ["supported": false, "maxOperations": 0, "maxPayloadSize": 0])
        for feature in ["sort", "etag", "changePassword"] { #expect(config[feature] == ["supported": false]) }
        let scheme = config["authenticationSchemes"]?.arrayValue?.first
        #expect(scheme?["type"] == "oauthbearertoken")
        #expect(scheme?["name"] == "OAuth Bearer Token")
        #expect(scheme?["primary"] == true)
        #expect(scheme?["description"]?.stringValue?.isEmpty == false)
        #expect(config["meta"] == ["resourceType": "ServiceProviderConfig", "location": .string(base + "/ServiceProviderConfig")])
    }

    @Test func resourceTypeNames() {
        #expect([SCIMResourceType.user.name, SCIMResourceType.group.name] == ["User", "Group"])
        #expect([SCIMResourceType.user.endpoint, SCIMResourceType.group.endpoint] == ["/Users", "/Groups"])
        #expect(SCIMResourceType.user.coreSchema == "urn:ietf:params:scim:schemas:core:2.0:User")
        #expect(SCIMResourceType.group.coreSchema == "urn:ietf:params:scim:schemas:core:2.0:Group")
        #expect(SCIMResourceType.user.extensionSchemas == [enterpriseURN])
        #expect(SCIMResourceType.group.extensionSchemas.isEmpty)
    }

    @Test func errorBody() {
        let error = SCIMError(scimType: "invalidFilter", detail: "bad filter")
        #expect(error.status == 400)
        #expect(error.json.serialized()
                == #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter","detail":"bad filter"}"#)
        #expect(SCIMError(status: 404, scimType: nil, detail: "Resource 1 not found").json == [
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404", "detail": "Resource 1 not found",
        ])
    }
}
