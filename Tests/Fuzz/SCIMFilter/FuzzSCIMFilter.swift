import FuzzSupport
import GatehouseJSON
import SCIMProtocol

/// SCIM `filter` parameters, and the same text as a PATCH operation's `path`.
@main enum FuzzSCIMFilter: FuzzTarget {
    static let user: JSONValue = ["schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1", "userName": "ann",
                                  "emails": [["value": "ann@example.com", "primary": true]]]

    static func test(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        if let filter = try? SCIMFilter.parse(text, for: .user) { _ = filter.matches(user) }
        _ = try? SCIMFilter.parse(text, for: .group)
        let patch: JSONValue = ["schemas": [.string(SCIMPatch.schema)], "Operations": [["op": "remove", "path": .string(text)]]]
        _ = try? SCIMPatch.apply(patch, to: user, as: .user)
    }
}
