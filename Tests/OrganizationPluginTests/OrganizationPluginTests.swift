import GatehouseJSON
@testable import OrganizationPlugin
import PluginKitTesting
import Testing

/// The organization plugin's routes on PluginKitTesting's fake host: no server, no database file.
/// The plugin type is created directly, so other plugin types could be tested in this process too.
struct OrganizationPluginTests {
    let host: FakeHost
    let owner: FakeHost.Session

    init() throws {
        host = try FakeHost(plugin: OrganizationPlugin.self, settings: [:]) { $0.baseURL = "https://app.example.com" }
        owner = try host.signIn(try host.createUser(email: "ada@example.com", name: "Ada"))
    }

    private func createOrganization(slug: String = "acme", as session: FakeHost.Session? = nil) throws -> FakeHost.Answer {
        try host.request("POST", "/organization/create", body: ["name": "Acme", "slug": .string(slug)], session: session ?? owner)
    }

    @Test func creatingMakesTheCallerOwnerAndTheActiveOrganization() throws {
        let answer = try createOrganization()
        #expect(answer.status == 200)
        let id = try #require(answer.body["id"]?.stringValue)
        #expect(answer.body["members"]?.arrayValue?.first?["role"] == "owner")
        #expect(host.rows("member").map { $0["userId"] } == [.string(owner.userID)])
        #expect(host.session(owner)?["session"]?["activeOrganizationId"] == .string(id))
        #expect(host.emittedEvents.map(\.name) == ["organization.created", "organization.member.added"])
    }

    @Test func aTakenSlugIsRefusedAndChangesNothing() throws {
        _ = try createOrganization()
        let again = try createOrganization()
        #expect(again.code == "ORGANIZATION_ALREADY_EXISTS")
        #expect(host.rows("organization").count == 1)
        #expect(host.rows("member").count == 1)
    }

    @Test func routesNeedASession() throws {
        let answer = try host.request("POST", "/organization/create", body: ["name": "Acme", "slug": "acme"])
        #expect(answer.status == 401)
        #expect(answer.code == "UNAUTHORIZED")
        #expect(host.rows("organization").isEmpty)
    }

    @Test func anInvitationIsEmailedAndAcceptedByItsRecipient() throws {
        let organizationID = try #require(try createOrganization().body["id"]?.stringValue)
        let invited = try host.request("POST", "/organization/invite-member", body: ["email": "Bob@Example.com", "role": "member"], session: owner)
        #expect(invited.status == 200)
        let invitationID = try #require(invited.body["id"]?.stringValue)
        let email = try #require(host.sentEmails.first)
        #expect(email.kind == "invitation")
        #expect(email.to == "bob@example.com")
        #expect(email.url == "https://app.example.com/accept-invitation/\(invitationID)")

        let stranger = try host.signIn(try host.createUser(email: "eve@example.com"))
        #expect(try host.request("POST", "/organization/accept-invitation", body: ["invitationId": .string(invitationID)], session: stranger).code
            == "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION")

        let bob = try host.signIn(try host.createUser(email: "bob@example.com", name: "Bob"))
        let accepted = try host.request("POST", "/organization/accept-invitation", body: ["invitationId": .string(invitationID)], session: bob)
        #expect(accepted.status == 200)
        #expect(accepted.body["invitation"]?["status"] == "accepted")
        #expect(host.rows("member").count == 2)
        #expect(host.session(bob)?["session"]?["activeOrganizationId"] == .string(organizationID))
        let listed = try host.request("GET", "/organization/list-members?organizationId=\(organizationID)", session: bob)
        #expect(listed.body["total"] == 2)
        #expect(Set(listed.body["members"]?.arrayValue?.compactMap { $0["user"]?["email"]?.stringValue } ?? []) == ["ada@example.com", "bob@example.com"])
    }

    @Test func theOnlyOwnerCannotLeave() throws {
        _ = try createOrganization()
        let answer = try host.request("POST", "/organization/leave", body: [:], session: owner)
        #expect(answer.code == "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
        #expect(host.rows("member").count == 1)
    }

    @Test func deletingRemovesTheOrganizationWithItsMembersAndInvitations() throws {
        let id = try #require(try createOrganization().body["id"]?.stringValue)
        _ = try host.request("POST", "/organization/invite-member", body: ["email": "bob@example.com", "role": "member"], session: owner)
        let deleted = try host.request("POST", "/organization/delete", body: ["organizationId": .string(id)], session: owner)
        #expect(deleted.status == 200)
        #expect(host.rows("organization").isEmpty && host.rows("member").isEmpty && host.rows("invitation").isEmpty)
        #expect(host.session(owner)?["session"]?["activeOrganizationId"] == .null)
        #expect(host.emittedEvents.suffix(2).map(\.name) == ["organization.member.removed", "organization.deleted"])
    }

    @Test func settingsLimitTheOrganizationsAUserCreates() throws {
        let limited = try FakeHost(plugin: OrganizationPlugin.self, settings: ["organizationLimit": 1])
        let session = try limited.signIn(try limited.createUser(email: "ada@example.com"))
        #expect(try limited.request("POST", "/organization/create", body: ["name": "One", "slug": "one"], session: session).status == 200)
        let second = try limited.request("POST", "/organization/create", body: ["name": "Two", "slug": "two"], session: session)
        #expect(second.code == "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS")
    }

    @Test func invalidSettingsRefuseToLoad() {
        #expect(throws: FakeHostError.self) { try FakeHost(plugin: OrganizationPlugin.self, settings: ["membershipLimit": 0]) }
    }
}
