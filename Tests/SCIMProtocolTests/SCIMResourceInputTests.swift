import GatehouseJSON
import SCIMProtocol
import Testing

@Suite struct SCIMResourceInputTests {
    @Test func fullUserRoundTripsWithCanonicalNames() throws {
        let body = try json(#"""
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
         "externalId": "701984", "userName": "bjensen@example.com",
         "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane",
                  "honorificPrefix": "Ms.", "honorificSuffix": "III"},
         "displayName": "Babs Jensen", "nickName": "Babs", "profileUrl": "https://login.example.com/bjensen", "title": "Tour Guide",
         "userType": "Employee", "preferredLanguage": "en-US", "locale": "en-US", "timezone": "America/Los_Angeles", "active": true,
         "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true, "display": "Work"},
                    {"value": "babs@jensen.org", "type": "home"}],
         "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
         "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "region": "CA",
                        "postalCode": "91608", "country": "USA", "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA", "primary": true}],
         "entitlements": [{"value": "Guest", "display": "Guest access", "type": "access", "primary": false}],
         "roles": [{"value": "Tour Guide"}],
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984", "costCenter": "4130",
            "organization": "Universal Studios", "division": "Theme Park", "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d"}}}
        """#)
        let document = try SCIMResourceInput.normalize(body, as: .user)
        guard case .object(var expected) = body else { Issue.record("not an object"); return }
        expected.removeValue(forKey: "schemas")
        #expect(document == .object(expected))
    }

    @Test func namesInAnyCaseAndQualifiedNamesBecomeCanonical() throws {
        let body = try json(#"""
        {"SCHEMAS": ["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"], "USERNAME": "alice", "Name": {"GIVENNAME": "Alice"},
         "EMAILS": [{"VALUE": "a@example.com", "Primary": true}],
         "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Alice A",
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
         "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": {"COSTCENTER": "42", "Manager": {"VALUE": "m1"}}}
        """#)
        let document = try SCIMResourceInput.normalize(body, as: .user)
        #expect(document == [
            "userName": "alice", "name": ["givenName": "Alice"], "emails": [["value": "a@example.com", "primary": true]],
            "displayName": "Alice A", enterpriseURN: ["department": "Sales", "costCenter": "42", "manager": ["value": "m1"]],
        ])
    }

    @Test func unknownReadOnlyAndPasswordAreDropped() throws {
        let body = try json(#"""
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "chosen-by-client", "meta": {"created": "2020-01-01T00:00:00Z"},
         "userName": "bob", "password": "hunter2", "groups": [{"value": "g1"}], "ims": [{"value": "bob"}], "favouriteColour": "green",
         "urn:example:custom:1.0:User": {"x": 1},
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m", "displayName": "Boss"}, "shoeSize": 9},
         "emails": [{"value": "b@example.com", "extra": "dropped"}]}
        """#)
        #expect(try SCIMResourceInput.normalize(body, as: .user) == [
            "userName": "bob", enterpriseURN: ["manager": ["value": "m"]], "emails": [["value": "b@example.com"]],
        ])
    }

    @Test func entraBooleanStringsBecomeBooleans() throws {
        for (sent, stored) in [("True", true), ("False", false), ("true", true), ("false", false)] {
            let body: JSONValue = ["schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "active": .string(sent),
                                   "emails": [["value": "u@example.com", "primary": .string(sent)]]]
            let document = try SCIMResourceInput.normalize(body, as: .user)
            #expect(document["active"] == .bool(stored))
            #expect(document["emails"] == [["value": "u@example.com", "primary": .bool(stored)]])
        }
    }

    @Test func nullsAndEmptyValuesAreUnassigned() throws {
        let body = try json(#"""
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "title": null, "emails": [], "phoneNumbers": null,
         "name": {"givenName": null}, "roles": [null], "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {}}
        """#)
        #expect(try SCIMResourceInput.normalize(body, as: .user) == ["userName": "u"])
    }

    @Test func groupKeepsMembersButNotTheirDisplay() throws {
        let body = try json(#"""
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "externalId": "e1", "displayName": "Tour Guides",
         "members": [{"value": "2819c223", "$ref": "https://example.com/v2/Users/2819c223", "type": "User", "display": "Babs"}],
         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "x"}, "userName": "not a group attribute"}
        """#)
        #expect(try SCIMResourceInput.normalize(body, as: .group) == [
            "externalId": "e1", "displayName": "Tour Guides",
            "members": [["value": "2819c223", "$ref": "https://example.com/v2/Users/2819c223", "type": "User"]],
        ])
    }

    @Test(arguments: [
        (#"[]"#, "invalidSyntax"),
        (#""user""#, "invalidSyntax"),
        (#"{"userName": "u"}"#, "invalidValue"),                                              // no schemas
        (#"{"schemas": "urn:ietf:params:scim:schemas:core:2.0:User", "userName": "u"}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "u"}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}"#, "invalidValue"),       // userName is required
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": ""}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "  "}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": null}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": 42}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "active": "yes"}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "active": 1}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "name": "Bob"}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "emails": {"value": "a@b"}}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "emails": ["a@b"]}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "emails": [{"value": 7}]}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "profileUrl": true}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "externalId": 5}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "\#(enterpriseURN)": "x"}"#, "invalidValue"),
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}"#, "invalidValue"),       // displayName is required
        (#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "members": [{"value": 1}]}"#, "invalidValue"),
    ])
    func refusals(body: String, expected: String) throws {
        let value = try json(body)
        let type: SCIMResourceType = body.contains("2.0:Group") ? .group : .user
        #expect(scimType { _ = try SCIMResourceInput.normalize(value, as: type) } == expected, "\(body)")
    }

    @Test func errorNamesTheAttribute() throws {
        let body = try json(#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u", "emails": [{"primary": "maybe"}]}"#)
        let error = #expect(throws: SCIMError.self) { try SCIMResourceInput.normalize(body, as: .user) }
        #expect(error?.status == 400)
        #expect(error?.detail.contains("emails.primary") == true)
    }
}
