import Foundation
import GatehouseJSON
import PluginKit

/// The services other plugins call (ABI 1.2, manifest `services`), named and shaped after Better
/// Auth's server API (`addMember`, `updateMemberRole`, `removeMember`, `getFullOrganization`,
/// `listMembers`), and `listOrganizations` for an operator's console. A service acts as the server
/// does, without a session: deciding who may ask is the calling plugin's job, while the
/// organization's own rules hold as on the routes (membership limit, no duplicate member, roles
/// that exist, an owner always kept) and refusals carry Better Auth's codes.
struct OrganizationServices: Sendable {
    let organizations: Organizations
    let members: Members
    let teams: Teams
    var directory: Directory { members.directory }

    struct Service: Sendable {
        let name: String
        let handler: @Sendable (OrganizationServices, JSONValue) throws -> JSONValue
    }

    /// `services[index]` of the manifest.
    static let all: [Service] = [
        Service(name: "getOrganization") { try $0.getOrganization($1) },
        Service(name: "listMembers") { try $0.listMembers($1) },
        Service(name: "memberCount") { try $0.memberCount($1) },
        Service(name: "addMember") { try $0.addMember($1) },
        Service(name: "setMemberRole") { try $0.setMemberRole($1) },
        Service(name: "removeMember") { try $0.removeMember($1) },
        Service(name: "getMember") { try $0.getMember($1) },
        Service(name: "findOrganization") { try $0.findOrganization($1) },
        Service(name: "setOrganizationField") { try $0.setOrganizationField($1) },
        Service(name: "getTeam") { try $0.getTeam($1) },
        Service(name: "createTeam") { try $0.createTeam($1) },
        Service(name: "updateTeam") { try $0.updateTeam($1) },
        Service(name: "removeTeam") { try $0.removeTeam($1) },
        Service(name: "listTeamMembers") { try $0.listTeamMembers($1) },
        Service(name: "addTeamMember") { try $0.addTeamMember($1) },
        Service(name: "removeTeamMember") { try $0.removeTeamMember($1) },
        Service(name: "listOrganizations") { try $0.listOrganizations($1) },
    ]

    /// `{limit?, offset?}` → `{organizations, total}`: one page of every organization, by
    /// `createdAt` (then `id`: the host breaks ties by id); `limit` 1 to 500 (default 50) and
    /// `offset` numbers or text, else 400 `INVALID_QUERY`.
    func listOrganizations(_ request: JSONValue) throws -> JSONValue {
        let page = try PageQuery(PluginCall(kind: .service(0), envelope: ["query": PluginCall.query(from: request)]))
        let rows = try directory.db.findMany("organization", [], orderBy: "createdAt", limit: page.limit, offset: page.offset)
        return ["organizations": .array(rows.map(Directory.withMetadata)), "total": .int(try directory.db.count("organization", []))]
    }

    /// `{organizationId, userId}` → `{member}`: the membership (with its `role`), or null.
    func getMember(_ request: JSONValue) throws -> JSONValue {
        let id = try organizationID(request)
        guard let userID = request["userId"]?.stringValue else { throw PluginError(code: "VALIDATION_ERROR", message: "userId is required") }
        return ["member": try directory.membership(of: userID, in: id)?.row ?? .null]
    }

    /// `{slug}`, `{id}`, or `{field, value}` for a field another plugin declared on the table (the
    /// stripe plugin's `stripeCustomerId`) → `{organization}`: the organization row, or null.
    func findOrganization(_ request: JSONValue) throws -> JSONValue {
        let declared = request["field"]?.stringValue.flatMap { field in
            Self.ownFields.contains(field) ? nil : request["value"]?.stringValue.map { (field, $0) }
        }
        let key = request["slug"]?.stringValue.map { ("slug", $0) } ?? request["id"]?.stringValue.map { ("id", $0) } ?? declared
        guard let (field, value) = key else { throw PluginError(code: "VALIDATION_ERROR", message: "slug, id, or field and value are required") }
        return ["organization": try directory.db.findOne("organization", [PluginDatabase.equals(field, .string(value))]) ?? .null]
    }

    /// `{organizationId}` → the organization with its members, invitations (and teams).
    func getOrganization(_ request: JSONValue) throws -> JSONValue {
        try organizations.fullOrganization(try organizationID(request))
    }

    /// `{organizationId}` → `{members, total}`, each member with its user.
    func listMembers(_ request: JSONValue) throws -> JSONValue {
        let members = try directory.members(of: try organizationID(request))
        return ["members": .array(try members.map(directory.withUser)), "total": .int(members.count)]
    }

    /// `{organizationId}` → `{count}`.
    func memberCount(_ request: JSONValue) throws -> JSONValue {
        ["count": .int(try directory.members(of: try organizationID(request)).count)]
    }

    /// `{organizationId, userId, role, teamId?}` → the new member row.
    func addMember(_ request: JSONValue) throws -> JSONValue {
        let id = try organizationID(request)
        guard let userID = request["userId"]?.stringValue,
              try directory.host.call("users.find", ["id": .string(userID)])["user"]?.nonNull != nil else { throw OrganizationError.userNotFound.failure }
        let roles = try members.roleList(request["role"], in: id)
        let teamID = request["teamId"]?.stringValue
        if let teamID { try directory.requireTeam(teamID, in: id) }
        try members.checkRoom(for: userID, in: id)
        return try members.add(userID: userID, role: roles.joined(separator: ","), to: id, teamIDs: teamID.map { [$0] } ?? [])
    }

    /// `{organizationId, userId, role}` → the member with its user and new role.
    func setMemberRole(_ request: JSONValue) throws -> JSONValue {
        let id = try organizationID(request)
        let target = try member(request, in: id)
        return try members.setRoles(target, try members.roleList(request["role"], in: id), in: id)
    }

    /// `{organizationId, userId}` → `{member}`, the removed row.
    func removeMember(_ request: JSONValue) throws -> JSONValue {
        let id = try organizationID(request)
        let target = try member(request, in: id)
        try members.removeMember(target, from: id)
        return ["member": target.row]
    }

    /// The organization table's own columns: only other plugins' fields on it may be set by them.
    static let ownFields: Set<String> = ["id", "name", "slug", "logo", "createdAt", "metadata"]

    /// `{organizationId, field, value}` → `{organization}`: sets a field another plugin declared on the
    /// organization table (`schema.fields.organization`, e.g. the stripe plugin's `stripeCustomerId`).
    /// The organization's own columns are refused; a field no plugin declared fails in the database.
    func setOrganizationField(_ request: JSONValue) throws -> JSONValue {
        let id = try organizationID(request)
        guard let field = request["field"]?.stringValue, !field.isEmpty, !Self.ownFields.contains(field), let value = request["value"] else {
            throw PluginError(code: "FIELD_NOT_ALLOWED", message: "field must name a field another plugin declared on the organization table")
        }
        try directory.db.update("organization", [PluginDatabase.equals("id", .string(id))], [field: value])
        return ["organization": try directory.db.findOne("organization", [PluginDatabase.equals("id", .string(id))]) ?? .null]
    }

    // MARK: Teams (`teams.enabled`; otherwise every team service answers 404 TEAMS_NOT_ENABLED)

    /// `{teamId}` → `{team}`: the team, or null.
    func getTeam(_ request: JSONValue) throws -> JSONValue {
        do { return ["team": try teams.team(request["teamId"]?.stringValue)] } catch let error as PluginError where error.code == OrganizationError.teamNotFound.rawValue {
            return ["team": .null]
        }
    }

    /// `{organizationId, name}` → the new team row.
    func createTeam(_ request: JSONValue) throws -> JSONValue {
        let id = try organizationID(request)
        try teams.enabled()
        return try teams.createTeam(named: request["name"]?.stringValue, in: id)
    }

    /// `{teamId, name}` → the renamed team row.
    func updateTeam(_ request: JSONValue) throws -> JSONValue {
        guard let name = request["name"]?.stringValue, !name.isEmpty else { throw PluginError(code: "VALIDATION_ERROR", message: "name is required") }
        return try teams.rename(try teams.team(request["teamId"]?.stringValue), to: name)
    }

    /// `{teamId}` → `{team}`, the removed row, with its memberships gone.
    func removeTeam(_ request: JSONValue) throws -> JSONValue {
        let team = try teams.team(request["teamId"]?.stringValue)
        try teams.delete(team)
        return ["team": team]
    }

    /// `{teamId}` → `{members}`: its teamMember rows.
    func listTeamMembers(_ request: JSONValue) throws -> JSONValue {
        ["members": .array(try teams.teamMembers(try teams.team(request["teamId"]?.stringValue)))]
    }

    /// `{teamId, userId}` → the teamMember row; the user must be a member of the team's organization.
    func addTeamMember(_ request: JSONValue) throws -> JSONValue {
        try teams.add(request["userId"]?.stringValue, to: try teams.team(request["teamId"]?.stringValue))
    }

    /// `{teamId, userId}` → `{removed}`: whether the user was in the team. Their membership of
    /// the organization stays.
    func removeTeamMember(_ request: JSONValue) throws -> JSONValue {
        guard let userID = request["userId"]?.stringValue else { throw PluginError(code: "VALIDATION_ERROR", message: "userId is required") }
        return ["removed": .bool(try teams.remove(userID, from: try teams.team(request["teamId"]?.stringValue)))]
    }

    /// The request's `organizationId`, of an organization that exists.
    private func organizationID(_ request: JSONValue) throws -> String {
        guard let id = request["organizationId"]?.stringValue, !id.isEmpty else {
            throw PluginError(code: "VALIDATION_ERROR", message: "organizationId is required")
        }
        _ = try directory.organization(id)
        return id
    }

    /// The membership of the request's `userId`.
    private func member(_ request: JSONValue, in organizationID: String) throws -> Membership {
        guard let userID = request["userId"]?.stringValue, let member = try directory.membership(of: userID, in: organizationID) else {
            throw OrganizationError.memberNotFound.failure
        }
        return member
    }
}
