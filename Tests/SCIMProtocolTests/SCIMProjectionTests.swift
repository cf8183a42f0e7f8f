import GatehouseJSON
import SCIMProtocol
import Testing

@Suite struct SCIMProjectionTests {
    func project(attributes: String? = nil, excluded: String? = nil, _ resource: JSONValue = barbara) -> JSONValue {
        SCIMProjection.project(resource, attributes: attributes, excludedAttributes: excluded, as: .user)
    }

    @Test func attributesKeepIdAndSchemas() {
        #expect(project(attributes: "userName") == [
            "schemas": barbara["schemas"]!, "id": barbara["id"]!, "userName": "bjensen@example.com",
        ])
    }

    @Test func attributesTakeSubAttributesQualifiedNamesAndAnyCase() {
        let result = project(attributes: " name.givenName , EMAILS.value,urn:ietf:params:scim:schemas:core:2.0:User:displayName,"
                                       + "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department,nonsense,meta.created")
        #expect(result == [
            "schemas": barbara["schemas"]!, "id": barbara["id"]!,
            "name": ["givenName": "Barbara"], "displayName": "Babs Jensen",
            "emails": [["value": "bjensen@example.com"], ["value": "babs@jensen.org"]],
            enterpriseURN: ["department": "Tour Operations"],
            "meta": ["created": "2011-08-01T18:29:49.793Z"],
        ])
        #expect(project(attributes: enterpriseURN)[enterpriseURN] == ["department": "Tour Operations"])
    }

    @Test func excludedAttributesRemoveAllButId() {
        let result = project(excluded: "emails,name.familyName,id,schemas,meta,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        #expect(result["emails"] == nil)
        #expect(result["meta"] == nil)
        #expect(result[enterpriseURN] == nil)
        #expect(result["name"] == ["formatted": "Ms. Barbara J Jensen III", "givenName": "Barbara"])
        #expect(result["id"] == barbara["id"])
        #expect(result["schemas"] == barbara["schemas"])
        #expect(project(excluded: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department")[enterpriseURN] == nil)
    }

    @Test func attributesLeaveOutWhatIsNotThere() {
        #expect(project(attributes: "name.middleName,title") == ["schemas": barbara["schemas"]!, "id": barbara["id"]!])
    }

    @Test func attributesWinOverExcludedAttributes() {
        #expect(project(attributes: "userName", excluded: "userName")["userName"] == "bjensen@example.com")
    }

    @Test func absentOrEmptyParametersChangeNothing() {
        #expect(project() == barbara)
        #expect(project(attributes: "", excluded: " , ") == barbara)
        #expect(project(excluded: "unknown,emails.nope") == barbara)
    }

    @Test func groupMembers() {
        let group: JSONValue = ["schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g", "displayName": "G",
                                "members": [["value": "u1", "display": "U"]], "meta": ["resourceType": "Group"]]
        #expect(SCIMProjection.project(group, attributes: "displayName", excludedAttributes: nil, as: .group)
                == ["schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g", "displayName": "G"])
        #expect(SCIMProjection.project(group, attributes: nil, excludedAttributes: "members", as: .group)["members"] == nil)
        #expect(SCIMProjection.project(group, attributes: "members.value", excludedAttributes: nil, as: .group)["members"] == [["value": "u1"]])
    }
}
