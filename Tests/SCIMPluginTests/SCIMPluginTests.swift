import Crypto
import Foundation
import GatehouseJSON
import PluginKit
import PluginKitTesting
import Testing

/// The scim plugin on PluginKitTesting's fake host, through the library `swift build` made
/// (`libscim.so`): a personal connection (no organization plugin needed), the bearer check, users
/// through the raw-body subtree routes (ABI 1.4), and deactivation through the host's sign-in hold.
struct SCIMPluginTests {
    let host: FakeHost
    let owner: FakeHost.Session

    init() throws {
        host = try FakeHost(library: FakeHost.builtLibrary("scim")) { $0.baseURL = "https://auth.example.com" }
        owner = try host.signIn(try host.createUser(email: "owner@example.com"))
    }

    private func token(_ providerID: String = "okta") throws -> String {
        let answer = try host.request("POST", "/scim/generate-token", body: ["providerId": .string(providerID)], session: owner)
        #expect(answer.status == 201)
        return try #require(answer.body["scimToken"]?.stringValue)
    }

    /// A SCIM request: the answer's status and its parsed `application/scim+json` body.
    private func scim(_ method: String, _ path: String, _ body: JSONValue? = nil, token: String?,
                      contentType: String = "application/scim+json") throws -> (status: Int, body: JSONValue) {
        var headers = ["content-type": contentType]
        if let token { headers["authorization"] = "Bearer " + token }
        let answer = try host.request(method, "/scim/v2/" + path, rawBody: body?.serializedBytes(), headers: headers)
        if answer.status != 204 { #expect(answer.contentType == "application/scim+json") }
        let text = answer.body.stringValue ?? ""
        return (answer.status, text.isEmpty ? .null : try JSONValue.parse(text))
    }

    @Test func theTokenNamesItsConnectionAndOnlyAHashOfItsSecretIsStored() throws {
        let token = try token()
        let decoded = try #require(Base64URL.decode(token).flatMap { String(bytes: $0, encoding: .utf8) })
        let parts = decoded.split(separator: ":")
        #expect(parts.count == 2 && parts[1] == "okta" && parts[0].count >= 24)
        let row = try #require(host.rows("scimProvider").first)
        #expect(row["scimToken"]?.stringValue == Base64URL.encode(Array(SHA256.hash(data: Array(parts[0].utf8)))))
        #expect(row["userId"]?.stringValue == owner.userID)
        #expect(try scim("GET", "Users", token: token).status == 200)
        #expect(try scim("GET", "Users", token: try self.token()).status == 200)
        #expect(try scim("GET", "Users", token: token).status == 401, "a regenerated token replaces the old one")
        #expect(try scim("GET", "Users", token: "Zm9yZ2VkOm9rdGE").status == 401)
        #expect(try scim("GET", "Users", token: nil).status == 401)
    }

    @Test func usersAreCreatedListedDeactivatedAndDeleted() throws {
        let token = try token()
        let created = try scim("POST", "Users", ["schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "Ada@Example.com",
                                                 "name": ["givenName": "Ada", "familyName": "Lovelace"], "active": "True"], token: token)
        #expect(created.status == 201)
        let id = try #require(created.body["id"]?.stringValue)
        let user = try #require(host.rows("user").first { $0["id"]?.stringValue == id })
        #expect(user["email"] == "ada@example.com" && user["name"] == "Ada Lovelace")
        #expect(created.body["meta"]?["location"]?.stringValue == "https://auth.example.com/api/auth/scim/v2/Users/" + id)
        #expect(try scim("POST", "Users", ["schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.COM"],
                         token: token).body["scimType"] == "uniqueness")
        let listed = try scim("GET", "Users?filter=" + "userName eq \"ADA@example.com\"".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                              token: token)
        #expect(listed.body["totalResults"] == 1)

        let session = try host.signIn(userID: id)
        let patch: JSONValue = ["schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                "Operations": [["op": "Replace", "value": ["active": "False"]]]]
        #expect(try scim("PATCH", "Users/" + id, patch, token: token).body["active"] == false)
        #expect(host.session(session) == nil, "deactivation ends the user's sessions")
        #expect(throws: (any Error).self) { try host.signIn(userID: id) }

        #expect(try scim("DELETE", "Users/" + id, token: token).status == 204)
        #expect(host.rows("user").allSatisfy { $0["id"]?.stringValue != id } && host.rows("scimUser").isEmpty)
    }

    @Test func malformedInputGetsSCIMErrors() throws {
        let token = try token()
        #expect(try scim("POST", "Users", ["userName": "x"], token: token, contentType: "text/plain").status == 415)
        let broken = try host.request("POST", "/scim/v2/Users", rawBody: Array("{\"userName\":".utf8),
                                      headers: ["authorization": "Bearer " + token, "content-type": "application/scim+json"])
        #expect(broken.status == 400 && broken.body.stringValue?.contains("invalidSyntax") == true)
        #expect(try scim("GET", "Users?filter=password%20eq%20%22x%22", token: token).body["scimType"] == "invalidFilter")
        #expect(try scim("GET", "Nope", token: token).status == 404)
        #expect(try scim("DELETE", "ServiceProviderConfig", token: token).status == 405)
        #expect(try scim("POST", "Users/.search", token: token).status == 501)
        #expect(host.rows("user").count == 1 && host.rows("scimUser").isEmpty)
    }
}
