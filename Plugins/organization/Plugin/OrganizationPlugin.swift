import GatehouseJSON
import PluginKit

/// Better Auth's organization plugin (contract §7.4): organizations, members, invitations, teams,
/// roles and permissions, under `/organization/`. Membership changes are announced as plugin
/// events (`organization.created`, `organization.deleted`, `organization.member.added`,
/// `organization.member.removed`, `organization.member.updated`,
/// `organization.invitation.created`) for other plugins, e.g. billing seats, which may also call
/// its services (`OrganizationServices`, ABI 1.2).
struct OrganizationPlugin: GatehousePlugin {
    static let id = "organization"
    static let version = "1.0.0"
    static let name = "Organizations"
    static let manifest = OrganizationManifest.json(routes: routes, services: OrganizationServices.all.map(\.name))

    struct Route: Sendable {
        let method: String
        let path: String
        let summary: String
        /// Besides 200, for the OpenAPI document: most routes look up an organization, member,
        /// invitation, team or role by id, answering 404 when there is none.
        var statuses: [Int] = [404]
        let handler: @Sendable (OrganizationPlugin, PluginCall) throws -> PluginAnswer
    }

    static let routes: [Route] = [
        Route(method: "POST", path: "/organization/create", summary: "Create an organization", statuses: [404, 409]) { try $0.organizations.create($1) },
        Route(method: "POST", path: "/organization/check-slug", summary: "Whether a slug is free", statuses: [409]) { try $0.organizations.checkSlug($1) },
        Route(method: "POST", path: "/organization/update", summary: "Update an organization", statuses: [404, 409]) { try $0.organizations.update($1) },
        Route(method: "POST", path: "/organization/delete", summary: "Delete an organization") { try $0.organizations.delete($1) },
        Route(method: "GET", path: "/organization/get-full-organization", summary: "An organization with members and invitations") { try $0.organizations.full($1) },
        Route(method: "GET", path: "/organization/list", summary: "The caller's organizations", statuses: []) { try $0.organizations.list($1) },
        Route(method: "POST", path: "/organization/set-active", summary: "Set the session's active organization") { try $0.organizations.setActive($1) },
        Route(method: "POST", path: "/organization/has-permission", summary: "Whether the caller's roles grant permissions") { try $0.organizations.hasPermission($1) },
        Route(method: "GET", path: "/organization/list-members", summary: "Members of an organization") { try $0.members.list($1) },
        Route(method: "GET", path: "/organization/get-active-member", summary: "The caller's membership in the active organization") { try $0.members.active($1) },
        Route(method: "GET", path: "/organization/get-active-member-role", summary: "The caller's role in the active organization") { try $0.members.activeRole($1) },
        Route(method: "POST", path: "/organization/update-member-role", summary: "Change a member's roles") { try $0.members.updateRole($1) },
        Route(method: "POST", path: "/organization/remove-member", summary: "Remove a member") { try $0.members.remove($1) },
        Route(method: "POST", path: "/organization/leave", summary: "Leave an organization") { try $0.members.leave($1) },
        Route(method: "POST", path: "/organization/invite-member", summary: "Invite someone by email", statuses: [404, 409]) { try $0.invitations.invite($1) },
        Route(method: "POST", path: "/organization/accept-invitation", summary: "Accept an invitation", statuses: [404, 409]) { try $0.invitations.accept($1) },
        Route(method: "POST", path: "/organization/reject-invitation", summary: "Reject an invitation") { try $0.invitations.reject($1) },
        Route(method: "POST", path: "/organization/cancel-invitation", summary: "Cancel an invitation") { try $0.invitations.cancel($1) },
        Route(method: "GET", path: "/organization/get-invitation", summary: "An invitation, for its recipient") { try $0.invitations.get($1) },
        Route(method: "GET", path: "/organization/list-invitations", summary: "Invitations of an organization") { try $0.invitations.list($1) },
        Route(method: "GET", path: "/organization/list-user-invitations", summary: "The caller's pending invitations", statuses: []) { try $0.invitations.listForUser($1) },
        Route(method: "POST", path: "/organization/create-team", summary: "Create a team") { try $0.teams.create($1) },
        Route(method: "POST", path: "/organization/update-team", summary: "Rename a team") { try $0.teams.update($1) },
        Route(method: "POST", path: "/organization/remove-team", summary: "Delete a team") { try $0.teams.remove($1) },
        Route(method: "POST", path: "/organization/set-active-team", summary: "Set the session's active team") { try $0.teams.setActive($1) },
        Route(method: "GET", path: "/organization/list-teams", summary: "Teams of an organization") { try $0.teams.list($1) },
        Route(method: "POST", path: "/organization/add-team-member", summary: "Add a member to a team") { try $0.teams.addMember($1) },
        Route(method: "POST", path: "/organization/remove-team-member", summary: "Remove a member from a team") { try $0.teams.removeMember($1) },
        Route(method: "GET", path: "/organization/list-team-members", summary: "Members of a team") { try $0.teams.listMembers($1) },
        Route(method: "GET", path: "/organization/list-user-teams", summary: "The caller's teams") { try $0.teams.listForUser($1) },
        Route(method: "POST", path: "/organization/create-role", summary: "Create a role (dynamic access control)", statuses: [404, 409]) { try $0.roles.create($1) },
        Route(method: "POST", path: "/organization/update-role", summary: "Update a role", statuses: [404, 409]) { try $0.roles.update($1) },
        Route(method: "POST", path: "/organization/delete-role", summary: "Delete a role") { try $0.roles.delete($1) },
        Route(method: "GET", path: "/organization/list-roles", summary: "An organization's own roles") { try $0.roles.list($1) },
        Route(method: "GET", path: "/organization/get-role", summary: "One of an organization's own roles") { try $0.roles.get($1) },
    ]

    let organizations: Organizations
    let members: Members
    let invitations: Invitations
    let teams: Teams
    let roles: Roles
    let services: OrganizationServices

    init(host: PluginHost, settings: JSONValue) throws {
        let baseURL = try host.call("host.info", [:])["baseURL"]?.stringValue ?? ""
        let directory = Directory(host: host, db: PluginDatabase(host: host), settings: try OrganizationSettings(settings, baseURL: baseURL))
        organizations = Organizations(directory: directory)
        members = Members(directory: directory)
        invitations = Invitations(directory: directory, members: members, organizations: organizations)
        teams = Teams(directory: directory)
        roles = Roles(directory: directory)
        services = OrganizationServices(organizations: organizations, members: members, teams: teams)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .endpoint(let index) where Self.routes.indices.contains(index):
            return try Self.routes[index].handler(self, call)
        case .service(let index) where OrganizationServices.all.indices.contains(index):
            return .result(try OrganizationServices.all[index].handler(services, call.envelope["request"] ?? [:]).objectValue ?? [:])
        default:
            return .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: OrganizationPlugin.self) }
