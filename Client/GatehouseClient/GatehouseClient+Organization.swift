import Foundation

/// The organization plugin's common calls; `call` reaches the rest.
extension GatehouseClient {
    @discardableResult
    public func createOrganization(name: String, slug: String) async throws -> Organization {
        try await send(.post, "/organization/create", body: WireJSON.body(["name": .string(name), "slug": .string(slug)]))
            .decode(Organization.self)
    }

    /// The organizations the user is a member of.
    public func listOrganizations() async throws -> [Organization] {
        try await send(.get, "/organization/list").decode([Organization].self)
    }

    /// Makes `organizationId` (nil: none) the session's active organization, as
    /// `currentSession?.activeOrganizationId` then shows.
    public func setActiveOrganization(_ organizationId: String?) async throws {
        _ = try await send(.post, "/organization/set-active", body: WireJSON.body(["organizationId": organizationId.field ?? .null]))
        try await getSession()
    }

    /// Invites `email` with `role` (`member`, `admin`, `owner` or a custom role) into
    /// `organizationId`, or into the active organization when it is nil.
    @discardableResult
    public func inviteMember(email: String, role: String, organizationId: String? = nil) async throws -> Invitation {
        try await send(.post, "/organization/invite-member", body: WireJSON.body([
            "email": .string(email), "role": .string(role), "organizationId": organizationId.field,
        ])).decode(Invitation.self)
    }

    /// Accepts an invitation addressed to the signed-in user's e-mail.
    @discardableResult
    public func acceptInvitation(_ invitationId: String) async throws -> Invitation {
        struct Accepted: Decodable { var invitation: Invitation }
        return try await send(.post, "/organization/accept-invitation", body: WireJSON.body(["invitationId": .string(invitationId)]))
            .decode(Accepted.self).invitation
    }
}
