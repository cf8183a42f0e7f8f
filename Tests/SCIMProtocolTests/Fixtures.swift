import GatehouseJSON
import SCIMProtocol
import Testing

/// Parses JSON written in a test; a typo fails the test rather than crashing it.
func json(_ text: String) throws -> JSONValue {
    try JSONValue.parse(text)
}

/// The `scimType` of the SCIMError `body` throws (nil, and a failed expectation, if none).
func scimType(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> String? {
    let error = #expect(throws: SCIMError.self, sourceLocation: sourceLocation) { try body() }
    return error?.scimType
}

let enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
let patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

/// An output resource as the plugin builds it, for filter tests.
let barbara: JSONValue = [
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", .string(enterpriseURN)],
    "id": "2819c223-7f76-453a-919d-413861904646",
    "externalId": "bjensen-EXT",
    "userName": "bjensen@example.com",
    "name": ["formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"],
    "displayName": "Babs Jensen",
    "active": true,
    "emails": [
        ["value": "bjensen@example.com", "type": "work", "primary": true],
        ["value": "babs@jensen.org", "type": "home"],
    ],
    enterpriseURN: ["department": "Tour Operations"],
    "meta": ["resourceType": "User", "created": "2011-08-01T18:29:49.793Z", "lastModified": "2011-08-01T18:29:49Z"],
]

/// A PatchOp request body with the given operations.
func patchRequest(_ operations: JSONValue...) -> JSONValue {
    patchRequest(operations)
}

func patchRequest(_ operations: [JSONValue]) -> JSONValue {
    ["schemas": [.string(patchSchema)], "Operations": .array(operations)]
}
