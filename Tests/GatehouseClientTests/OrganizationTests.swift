import Foundation
import GatehouseClient
import Testing

/// The organization plugin's calls, and `call` for the routes without a method of their own.
struct OrganizationTests {
    struct FullOrganization: Decodable, Sendable {
        struct Member: Decodable, Sendable {
            var userId: String
            var role: String
        }
        var id: String
        var name: String
        var members: [Member]
    }

    struct Rename: Encodable, Sendable {
        struct Data: Encodable, Sendable { var name: String }
        var organizationId: String
        var data: Data
    }

    @Test func anOrganizationIsCreatedJoinedAndReachedThroughCall() async throws {
        let (owner, _, _) = try await signedUpClient("org-owner")
        let slug = "acme-\(UUID().uuidString.prefix(8).lowercased())"
        let organization = try await owner.createOrganization(name: "Acme", slug: slug)
        #expect(organization.slug == slug && organization.name == "Acme")
        #expect(try await owner.listOrganizations().map(\.id) == [organization.id])

        try await owner.setActiveOrganization(organization.id)
        #expect(await owner.currentSession?.activeOrganizationId == organization.id)

        let inviteeEmail = uniqueEmail("org-invitee")
        let invitation = try await owner.inviteMember(email: inviteeEmail, role: "member", organizationId: organization.id)
        #expect(invitation.status == "pending" && invitation.email == inviteeEmail && invitation.organizationId == organization.id)

        let invitee = try await makeClient()
        try await invitee.signUp(email: inviteeEmail, password: uniquePassword(), name: "Invitee")
        let accepted = try await invitee.acceptInvitation(invitation.id)
        #expect(accepted.status == "accepted")
        #expect(try await invitee.listOrganizations().map(\.id) == [organization.id])

        let full: FullOrganization = try await owner.call(.get, "/organization/get-full-organization", query: ["organizationId": organization.id])
        #expect(Set(full.members.map(\.role)) == ["owner", "member"])
        let renamed: Organization = try await owner.call(.post, "/organization/update",
                                                         body: Rename(organizationId: organization.id, data: .init(name: "Acme & Co")))
        #expect(renamed.name == "Acme & Co")

        // A member may not rename it: the plugin's refusal, as a GatehouseError.
        let refused = await #expect(throws: GatehouseError.self) {
            let _: Organization = try await invitee.call(.post, "/organization/update",
                                                         body: Rename(organizationId: organization.id, data: .init(name: "Mine")))
        }
        #expect(refused?.status == 403)
        try await owner.setActiveOrganization(nil)
        #expect(await owner.currentSession?.activeOrganizationId == nil)
    }
}
