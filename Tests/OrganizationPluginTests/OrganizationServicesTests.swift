import GatehouseJSON
@testable import OrganizationPlugin
import PluginKit
import PluginKitTesting
import Testing

/// The organization plugin's services (ABI 1.2): called directly, and by another plugin in a fake
/// host of its own, connected with `provideServices(of:)`.
struct OrganizationServicesTests {
    let host: FakeHost
    let organizationID: String

    init() throws {
        host = try FakeHost(plugin: OrganizationPlugin.self)
        let owner = try host.signIn(try host.createUser(email: "ada@example.com"))
        let created = try host.request("POST", "/organization/create", body: ["name": "Acme", "slug": "acme"], session: owner)
        organizationID = try #require(created.body["id"]?.stringValue)
    }

    @Test func membersAreAddedOnceAndCounted() throws {
        let bob = try #require(try host.createUser(email: "bob@example.com")["id"])
        let added = try host.service("addMember", request: ["organizationId": .string(organizationID), "userId": bob, "role": "member"])
        #expect(added["userId"] == bob)
        #expect(try host.service("memberCount", request: ["organizationId": .string(organizationID)])["count"] == 2)
        let again = try host.service("addMember", request: ["organizationId": .string(organizationID), "userId": bob, "role": "member"])
        #expect(again.code == "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")
        #expect(host.rows("member").count == 2)
    }

    @Test func membershipsAndOrganizationsAreLookedUp() throws {
        let ada = try #require(host.rows("user").first?["id"])
        let member = try host.service("getMember", request: ["organizationId": .string(organizationID), "userId": ada])
        #expect(member["member"]?["role"] == "owner")
        #expect(try host.service("getMember", request: ["organizationId": .string(organizationID), "userId": "nobody"])["member"] == .null)
        #expect(try host.service("findOrganization", request: ["slug": "acme"])["organization"]?["id"] == .string(organizationID))
        #expect(try host.service("findOrganization", request: ["slug": "none"])["organization"] == .null)
    }

    @Test func onlyOtherPluginsFieldsMayBeSet() throws {
        for field in ["name", "slug", "metadata", "id", ""] {
            let refused = try host.service("setOrganizationField", request: ["organizationId": .string(organizationID), "field": .string(field), "value": "x"])
            #expect(refused.error?.code == "FIELD_NOT_ALLOWED", "\(field)")
        }
        // A field no plugin declared on the table fails in the database, and nothing changes.
        let unknown = try host.service("setOrganizationField", request: ["organizationId": .string(organizationID), "field": "nobodysField", "value": "x"])
        #expect(unknown.error != nil)
        #expect(host.rows("organization").first?["name"] == "Acme")
        let missing = try host.service("setOrganizationField", request: ["organizationId": "nope", "field": "stripeCustomerId", "value": "cus_1"])
        #expect(missing.error?.code == "ORGANIZATION_NOT_FOUND")
    }

    @Test func anotherPluginCountsSeatsThroughTheService() throws {
        let seats = try FakeHost(plugin: SeatsPlugin.self) { $0.provideServices(of: host) }
        #expect(try seats.request("GET", "/seats/\(organizationID)").body == ["count": 1])
        // The provider's refusal reaches the caller's client with its code and status.
        let missing = try seats.request("GET", "/seats/unknown")
        #expect(missing.status == 404)
        #expect(missing.code == "ORGANIZATION_NOT_FOUND")
        #expect(seats.serviceCalls.map(\.service) == ["memberCount", "memberCount"])
    }
}

/// A plugin that uses the organization plugin, as billing seats would.
struct SeatsPlugin: GatehousePlugin {
    static let id = "seats"
    static let version = "1.0.0"
    static let name = "Seats"
    static let manifest: JSONValue = [
        "endpoints": [["method": "GET", "path": "/seats/:organizationId"]],
        "uses": [["plugin": "organization"]],
    ]

    let host: PluginHost

    init(host: PluginHost, settings: JSONValue) throws { self.host = host }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        .json(try host.callService(plugin: "organization", service: "memberCount", request: ["organizationId": .string(call.param("organizationId") ?? "")]))
    }
}
