import GatehouseJSON
import SCIMProtocol
import Testing

/// RFC 7644 §3.5.2 operations, the examples of the RFC and those Microsoft Entra ID sends.
@Suite struct SCIMPatchTests {
    let user: JSONValue = [
        "userName": "bjensen", "name": ["givenName": "Barbara", "familyName": "Jensen"], "title": "Tour Guide", "active": true,
        "emails": [["value": "bjensen@example.com", "type": "work", "primary": true], ["value": "babs@jensen.org", "type": "home"]],
        "addresses": [["type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood"]],
        enterpriseURN: ["department": "Tour Operations", "manager": ["value": "m1"]],
    ]
    let group: JSONValue = [
        "displayName": "Tour Guides",
        "members": [["value": "2819c223", "type": "User"], ["value": "902c246b", "type": "User"]],
    ]

    func patch(_ document: JSONValue, _ operations: String, as type: SCIMResourceType = .user) throws -> JSONValue {
        try SCIMPatch.apply(json(#"{"schemas": ["\#(patchSchema)"], "Operations": \#(operations)}"#), to: document, as: type)
    }

    func failure(_ document: JSONValue, _ operations: String, as type: SCIMResourceType = .user,
                 sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        scimType(sourceLocation: sourceLocation) { _ = try patch(document, operations, as: type) }
    }

    // MARK: add

    @Test func addMembersSkipsDuplicates() throws {
        let result = try patch(group, #"""
        [{"op": "add", "path": "members", "value": [{"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/a1", "value": "a1"},
                                                    {"value": "2819c223", "type": "User"}]}]
        """#, as: .group)
        #expect(result["members"] == [["value": "2819c223", "type": "User"], ["value": "902c246b", "type": "User"],
                                      ["$ref": "https://example.com/v2/Users/a1", "value": "a1"]])
    }

    @Test func addWithoutPathMergesAttributes() throws {
        let result = try patch(user, #"""
        [{"op": "add", "value": {"emails": [{"value": "babs@new.org", "type": "other"}], "nickname": "Babs", "name": {"middleName": "J"}}}]
        """#)
        #expect(result["nickName"] == "Babs")
        #expect(result["emails"]?.arrayValue?.count == 3)
        #expect(result["name"] == ["givenName": "Barbara", "familyName": "Jensen", "middleName": "J"])
    }

    @Test func addWithoutPathTakesPathsAsKeys() throws {
        // How Entra ID sends several attributes in one operation.
        let result = try patch(user, #"""
        [{"op": "Add", "value": {"name.givenName": "Babs", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
                                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42",
                                 "emails[type eq \"work\"].value": "babs@work.com", "id": "ignored", "meta": {"version": "x"}}}]
        """#)
        #expect(result["name"]?["givenName"] == "Babs")
        #expect(result[enterpriseURN] == ["department": "Sales", "manager": ["value": "m1"], "employeeNumber": "42"])
        #expect(result["emails"]?.arrayValue?.first?["value"] == "babs@work.com")
        #expect(result["id"] == nil)
        #expect(result["meta"] == nil)
    }

    @Test func addAtPaths() throws {
        let result = try patch(user, #"""
        [{"op": "add", "path": "nickName", "value": "Babs"},
         {"op": "add", "path": "name.middleName", "value": "Jane"},
         {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter", "value": "4130"},
         {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "value": "m2"},
         {"op": "add", "path": "phoneNumbers", "value": [{"value": "555-1234", "type": "mobile"}]},
         {"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:User:userType", "value": "Employee"}]
        """#)
        #expect(result["nickName"] == "Babs")
        #expect(result["name"]?["middleName"] == "Jane")
        #expect(result[enterpriseURN] == ["department": "Tour Operations", "manager": ["value": "m2"], "costCenter": "4130"])
        #expect(result["phoneNumbers"] == [["value": "555-1234", "type": "mobile"]])
        #expect(result["userType"] == "Employee")
    }

    @Test func addingAPrimaryValueDemotesTheOthers() throws {
        let result = try patch(user, #"[{"op": "add", "path": "emails", "value": [{"value": "new@example.com", "primary": true}]}]"#)
        #expect(result["emails"] == [["value": "bjensen@example.com", "type": "work", "primary": false],
                                     ["value": "babs@jensen.org", "type": "home"], ["value": "new@example.com", "primary": true]])
    }

    @Test func addTheWholeExtension() throws {
        let result = try patch(["userName": "u"], #"""
        [{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
          "value": {"division": "Parks", "manager": {"value": "m9", "$ref": "https://example.com/v2/Users/m9", "displayName": "Boss"}}}]
        """#)
        #expect(result == [
            "userName": "u", enterpriseURN: ["division": "Parks", "manager": ["value": "m9", "$ref": "https://example.com/v2/Users/m9"]],
        ])
    }

    // MARK: replace

    @Test func replaceMembers() throws {
        let result = try patch(group, #"[{"op": "replace", "path": "members", "value": [{"value": "c3", "display": "x"}]}]"#, as: .group)
        #expect(result["members"] == [["value": "c3"]])
    }

    @Test func replaceAValueSelectedByFilter() throws {
        let result = try patch(user, #"""
        [{"op": "replace", "path": "addresses[type eq \"work\"]",
          "value": {"type": "work", "streetAddress": "911 Universal City Plaza", "postalCode": "91608", "primary": true}}]
        """#)
        #expect(result["addresses"] == [["type": "work", "streetAddress": "911 Universal City Plaza", "locality": "Hollywood",
                                         "postalCode": "91608", "primary": true]])
    }

    @Test func replaceASubAttributeOfSelectedValues() throws {
        let result = try patch(user, #"[{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}]"#)
        #expect(result["addresses"]?.arrayValue?.first?["streetAddress"] == "1010 Broadway Ave")
    }

    @Test func replaceWithoutPathReplacesMultiValuedAndMergesComplex() throws {
        let result = try patch(user, #"""
        [{"op": "replace", "value": {"emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
                                     "nickname": "Babs", "userName": "bjensen@example.com", "name": {"givenName": "Babs"}}}]
        """#)
        #expect(result["emails"] == [["value": "bjensen@example.com", "type": "work", "primary": true]])
        #expect(result["userName"] == "bjensen@example.com")
        #expect(result["name"] == ["givenName": "Babs", "familyName": "Jensen"])
    }

    @Test func replaceAComplexAttributeMergesIt() throws {
        let result = try patch(user, #"[{"op": "replace", "path": "name", "value": {"familyName": "Smith", "honorificPrefix": "Dr."}}]"#)
        #expect(result["name"] == ["givenName": "Barbara", "familyName": "Smith", "honorificPrefix": "Dr."])
    }

    @Test func entraUserUpdate() throws {
        let result = try patch(user, #"""
        [{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
         {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
         {"op": "Replace", "path": "active", "value": "False"},
         {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m3"}]
        """#)
        #expect(result["emails"]?.arrayValue?.first == ["value": "updatedEmail@microsoft.com", "type": "work", "primary": true])
        #expect(result["name"]?["familyName"] == "updatedFamilyName")
        #expect(result["active"] == false)
        #expect(result[enterpriseURN]?["manager"] == ["value": "m3"])
    }

    @Test func entraReplaceAppendsWhenNoValueMatches() throws {
        let result = try patch(["userName": "u"], #"""
        [{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "u@work.com"},
         {"op": "replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "555"},
         {"op": "add", "path": "addresses[type eq \"home\"]", "value": {"locality": "Paris"}}]
        """#)
        #expect(result["emails"] == [["type": "work", "value": "u@work.com"]])
        #expect(result["phoneNumbers"] == [["type": "mobile", "value": "555"]])
        #expect(result["addresses"] == [["type": "home", "locality": "Paris"]])
    }

    @Test func replaceActiveWithoutPath() throws {
        #expect(try patch(user, #"[{"op": "replace", "value": {"active": false}}]"#)["active"] == false)
        #expect(try patch(user, #"[{"op": "replace", "value": {"ACTIVE": "False"}}]"#)["active"] == false)
    }

    @Test func replaceWithoutMatchNeedsASingleEquality() {
        #expect(failure(user, #"[{"op": "replace", "path": "emails[type eq \"x\" or type eq \"y\"].value", "value": "a"}]"#) == "noTarget")
        #expect(failure(user, #"[{"op": "replace", "path": "emails[value co \"nobody\"].type", "value": "work"}]"#) == "noTarget")
    }

    @Test func replaceSubAttributeOfMultiValuedWithoutFilterSetsEveryValue() throws {
        let result = try patch(user, #"[{"op": "replace", "path": "emails.type", "value": "other"}]"#)
        #expect(result["emails"]?.arrayValue?.map { $0["type"] } == ["other", "other"])
    }

    @Test func makingAValuePrimaryDemotesTheOthers() throws {
        let result = try patch(user, #"[{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]"#)
        #expect(result["emails"]?.arrayValue?.map { $0["primary"] } == [false, true])
    }

    // MARK: remove

    @Test func removeMembers() throws {
        let one = try patch(group, #"[{"op": "remove", "path": "members[value eq \"2819c223\"]"}]"#, as: .group)
        #expect(one["members"] == [["value": "902c246b", "type": "User"]])
        let all = try patch(group, #"[{"op": "remove", "path": "members"}]"#, as: .group)
        #expect(all == ["displayName": "Tour Guides"])
        let none = try patch(group, #"[{"op": "remove", "path": "members[value eq \"absent\"]"}]"#, as: .group)
        #expect(none == group)
    }

    @Test func entraRemovesMembersByValue() throws {
        let result = try patch(group, #"""
        [{"op": "Remove", "path": "members", "value": [{"value": "902c246b"}, {"value": "not-a-member"}]}]
        """#, as: .group)
        #expect(result["members"] == [["value": "2819c223", "type": "User"]])
    }

    @Test func removeAllMembersThenAdd() throws {
        let result = try patch(group, #"""
        [{"op": "remove", "path": "members"},
         {"op": "add", "path": "members", "value": [{"value": "x1"}, {"value": "x2"}]}]
        """#, as: .group)
        #expect(result["members"] == [["value": "x1"], ["value": "x2"]])
    }

    @Test func removeWithComplexFilter() throws {
        let result = try patch(user, #"[{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]"#)
        #expect(result["emails"] == [["value": "babs@jensen.org", "type": "home"]])
    }

    @Test func removeAttributesAndSubAttributes() throws {
        let result = try patch(user, #"""
        [{"op": "remove", "path": "title"},
         {"op": "remove", "path": "name.givenName"},
         {"op": "remove", "path": "emails[type eq \"work\"].primary"},
         {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"},
         {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]
        """#)
        #expect(result["title"] == nil)
        #expect(result["name"] == ["familyName": "Jensen"])
        #expect(result["emails"]?.arrayValue?.first == ["value": "bjensen@example.com", "type": "work"])
        #expect(result[enterpriseURN] == nil)
        let noExtension = try patch(user, #"[{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]"#)
        #expect(noExtension[enterpriseURN] == nil)
    }

    // MARK: refusals

    @Test(arguments: [
        (#"[{"op": "remove"}]"#, "noTarget"),
        (#"[{"op": "copy", "path": "title", "value": "x"}]"#, "invalidValue"),
        (#"[{"path": "title", "value": "x"}]"#, "invalidValue"),
        (#"[{"op": "add", "path": "title"}]"#, "invalidValue"),
        (#"[{"op": "add", "value": "not an object"}]"#, "invalidValue"),
        (#"[{"op": "add", "path": "nope", "value": "x"}]"#, "invalidPath"),
        (#"[{"op": "add", "path": "name.nope", "value": "x"}]"#, "invalidPath"),
        (#"[{"op": "add", "path": "name.givenName.x", "value": "x"}]"#, "invalidPath"),
        (#"[{"op": "add", "path": "emails[type eq ", "value": "x"}]"#, "invalidPath"),
        (#"[{"op": "add", "path": "emails[nope eq \"x\"]", "value": "x"}]"#, "invalidPath"),
        (#"[{"op": "add", "path": "title[value eq \"x\"]", "value": "x"}]"#, "invalidPath"),
        (#"[{"op": "add", "path": "emails[type eq \"work\"] junk", "value": "x"}]"#, "invalidPath"),
        (#"[{"op": "add", "path": "urn:example:other:User:title", "value": "x"}]"#, "invalidPath"),
        (#"[{"op": "add", "path": 7, "value": "x"}]"#, "invalidPath"),
        (#"[{"op": "replace", "path": "id", "value": "x"}]"#, "mutability"),
        (#"[{"op": "replace", "path": "meta.created", "value": "x"}]"#, "mutability"),
        (#"[{"op": "add", "path": "groups", "value": [{"value": "g"}]}]"#, "mutability"),
        (#"[{"op": "replace", "path": "\#(enterpriseURN):manager.displayName", "value": "x"}]"#, "mutability"),
        (#"[{"op": "remove", "path": "userName"}]"#, "invalidValue"),
        (#"[{"op": "replace", "path": "userName", "value": ""}]"#, "invalidValue"),
        (#"[{"op": "replace", "path": "userName", "value": null}]"#, "invalidValue"),
        (#"[{"op": "replace", "path": "active", "value": "maybe"}]"#, "invalidValue"),
        (#"[{"op": "replace", "path": "emails", "value": {"value": "a@b"}}]"#, "invalidValue"),
        (#"[{"op": "replace", "path": "name", "value": ["x"]}]"#, "invalidValue"),
        (#"[{"op": "replace", "value": {"title": 5}}]"#, "invalidValue"),
        (#"["add"]"#, "invalidSyntax"),
        (#"[]"#, "invalidSyntax"),
        (#"{"op": "add"}"#, "invalidSyntax"),
    ])
    func refusals(operations: String, expected: String) {
        #expect(failure(user, operations) == expected, "\(operations)")
    }

    @Test func groupRefusals() {
        #expect(failure(group, #"[{"op": "replace", "path": "members[value eq \"2819c223\"].display", "value": "x"}]"#, as: .group) == "mutability")
        #expect(failure(group, #"[{"op": "replace", "path": "members[value eq \"2819c223\"].value", "value": "x"}]"#, as: .group) == "mutability")
        #expect(failure(group, #"[{"op": "replace", "path": "displayName", "value": "  "}]"#, as: .group) == "invalidValue")
        #expect(failure(group, #"[{"op": "add", "path": "userName", "value": "x"}]"#, as: .group) == "invalidPath")
    }

    @Test func requestEnvelope() throws {
        let operation: JSONValue = ["op": "replace", "path": "title", "value": "CEO"]
        #expect(scimType { _ = try SCIMPatch.apply(["Operations": [operation]], to: user, as: .user) } == "invalidSyntax")
        #expect(scimType { _ = try SCIMPatch.apply(.array([]), to: user, as: .user) } == "invalidSyntax")
        #expect(scimType { _ = try SCIMPatch.apply(["schemas": [.string(patchSchema)]], to: user, as: .user) } == "invalidSyntax")
        // Keys of the envelope and of operations in any case.
        let lenient: JSONValue = ["Schemas": [.string(patchSchema.uppercased())], "operations": [["OP": "REPLACE", "Path": "title", "Value": "CEO"]]]
        #expect(try SCIMPatch.apply(lenient, to: user, as: .user)["title"] == "CEO")
        #expect(try SCIMPatch.apply(patchRequest(operation), to: user, as: .user)["title"] == "CEO")
    }

    @Test func operationsAreAllOrNothing() throws {
        let failing = patchRequest(["op": "replace", "path": "title", "value": "CEO"], ["op": "replace", "path": "id", "value": "x"])
        #expect(scimType { _ = try SCIMPatch.apply(failing, to: user, as: .user) } == "mutability")
        // Later operations see earlier ones; a required attribute may be unassigned in between.
        let ordered = patchRequest(["op": "remove", "path": "userName"], ["op": "add", "path": "userName", "value": "new"])
        #expect(try SCIMPatch.apply(ordered, to: user, as: .user)["userName"] == "new")
    }

    @Test func passwordIsAcceptedAndDiscarded() throws {
        #expect(try patch(user, #"[{"op": "replace", "path": "password", "value": "hunter2"}]"#) == user)
        #expect(try patch(user, #"[{"op": "replace", "value": {"password": "hunter2"}}]"#) == user)
    }

    @Test func hostileInputIsRefusedWithoutCrashing() throws {
        var deep: JSONValue = "x"
        for _ in 0..<200 { deep = ["value": deep] }
        let deepTitle = patchRequest(["op": "add", "path": "title", "value": deep])
        #expect(scimType { _ = try SCIMPatch.apply(deepTitle, to: user, as: .user) } == "invalidValue")
        #expect(try SCIMPatch.apply(patchRequest(["op": "add", "value": deep]), to: user, as: .user) == user) // "value" is no attribute
        var nested: JSONValue = ["value": "x"]
        for _ in 0..<10 { nested = [nested] }
        let nestedEmails = patchRequest(["op": "add", "path": "emails", "value": nested])
        #expect(scimType { _ = try SCIMPatch.apply(nestedEmails, to: user, as: .user) } == "invalidValue")
        let many = JSONValue.array((0..<20_000).map { ["value": .string("m\($0)")] })
        let added = try SCIMPatch.apply(patchRequest(["op": "add", "path": "members", "value": many]), to: group, as: .group)
        #expect(added["members"]?.arrayValue?.count == 20_002)
        let removed = try SCIMPatch.apply(patchRequest(["op": "remove", "path": "members", "value": many]), to: added, as: .group)
        #expect(removed == group)
        let tooMany = patchRequest(Array(repeating: ["op": "add", "path": "title", "value": "x"], count: 1001))
        #expect(scimType { _ = try SCIMPatch.apply(tooMany, to: user, as: .user) } == "invalidSyntax")
        let oddDocument = try SCIMPatch.apply(patchRequest(["op": "add", "path": "userName", "value": "u"]), to: "not an object", as: .user)
        #expect(oddDocument == ["userName": "u"])
    }

    @Test func neverCrashesOnArbitraryOperations() {
        var generator = SystemRandomNumberGenerator()
        let paths: [JSONValue] = ["emails", "emails[type eq \"work\"]", "emails[type eq \"work\"].value", "name", "name.givenName", "members",
                                  "members[value eq \"x\"]", .string(enterpriseURN), .string(enterpriseURN + ":manager"), "active", "userName",
                                  "id", "groups", "password", "emails[", "]", "", 3, .null]
        let values: [JSONValue] = [.null, "x", "True", 1, true, [], [:], ["value": "x"], [["value": "x", "primary": true]], [[[]]],
                                   ["name.givenName": "y", "emails": [["type": "work"]]], [enterpriseURN: ["manager": "m"]]]
        for _ in 0..<3000 {
            var operation: JSONValue = ["op": ["add", "replace", "remove", "Replace", 5].randomElement(using: &generator)!]
            if Bool.random(using: &generator), case .object(var fields) = operation {
                fields["path"] = paths.randomElement(using: &generator)!
                fields["value"] = values.randomElement(using: &generator)!
                operation = .object(fields)
            }
            for (document, type) in [(user, SCIMResourceType.user), (group, .group)] {
                _ = try? SCIMPatch.apply(patchRequest(operation), to: document, as: type)
            }
        }
    }
}
