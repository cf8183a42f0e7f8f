import Foundation
import GatehouseJSON
import PluginKit

/// The signed-in caller of a route (`auth: session`).
struct Caller: Sendable {
    let userID: String
    let user: JSONValue
    let sessionToken: String
    let activeOrganizationID: String?
    let activeTeamID: String?

    init(_ call: PluginCall) throws {
        guard let session = call.session?["session"], let user = call.session?["user"], let id = user["id"]?.stringValue else {
            throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized")
        }
        userID = id
        self.user = user
        sessionToken = session["token"]?.stringValue ?? ""
        activeOrganizationID = session["activeOrganizationId"]?.stringValue
        activeTeamID = session["activeTeamId"]?.stringValue
    }
}

/// A member row with its roles.
struct Membership: Sendable {
    let row: JSONValue
    var id: String { row["id"]?.stringValue ?? "" }
    var userID: String { row["userId"]?.stringValue ?? "" }
    var roles: [String] { AccessControl.roleNames(row["role"]?.stringValue) }
    var isOwner: Bool { roles.contains("owner") }
}

/// Reads of organizations, members and roles, and the permission checks every route makes.
struct Directory: Sendable {
    let host: PluginHost
    let db: PluginDatabase
    let settings: OrganizationSettings

    func organization(_ id: String) throws -> JSONValue {
        guard let row = try db.findOne("organization", [PluginDatabase.equals("id", .string(id))]) else { throw OrganizationError.organizationNotFound.failure }
        return Self.withMetadata(row)
    }

    /// The organization a route acts on: the one named, else the caller's active one.
    func organizationID(_ named: String?, _ caller: Caller) throws -> String {
        guard let id = named ?? caller.activeOrganizationID else { throw OrganizationError.noActiveOrganization.failure }
        return id
    }

    func membership(of userID: String, in organizationID: String) throws -> Membership? {
        try db.findOne("member", [PluginDatabase.equals("organizationId", .string(organizationID)), PluginDatabase.equals("userId", .string(userID))])
            .map(Membership.init)
    }

    /// The caller's membership; 404 for an organization that does not exist, 403 for one the
    /// caller is not in.
    func requireMember(_ caller: Caller, in organizationID: String) throws -> Membership {
        if let member = try membership(of: caller.userID, in: organizationID) { return member }
        _ = try organization(organizationID)
        throw OrganizationError.notMember.failure
    }

    /// Refuses with `error` unless `member`'s roles grant every action in `permissions`.
    func require(_ permissions: AccessControl.Permissions, _ member: Membership, in organizationID: String, else error: OrganizationError) throws {
        guard try allows(member.roles, permissions, in: organizationID) else { throw error.failure }
    }

    func allows(_ roles: [String], _ permissions: AccessControl.Permissions, in organizationID: String) throws -> Bool {
        settings.accessControl.allows(roleNames: roles, permissions, dynamicRoles: try dynamicRoles(organizationID))
    }

    /// The roles an organization defined itself (dynamic access control).
    func dynamicRoles(_ organizationID: String) throws -> [String: AccessControl.Permissions] {
        guard settings.dynamicAccessControl else { return [:] }
        var roles: [String: AccessControl.Permissions] = [:]
        for row in try db.findMany("organizationRole", [PluginDatabase.equals("organizationId", .string(organizationID))]) {
            guard let name = row["role"]?.stringValue, let text = row["permission"]?.stringValue, let json = try? JSONValue.parse(text) else { continue }
            roles[name] = (try? AccessControl.permissions(json, within: settings.accessControl.statements, at: "role")) ?? [:]
        }
        return roles
    }

    /// Whether `name` is a role members can hold in the organization.
    func roleExists(_ name: String, in organizationID: String) throws -> Bool {
        if settings.accessControl.roles[name] != nil { return true }
        return try dynamicRoles(organizationID)[name] != nil
    }

    /// Refuses a team that is not one of the organization's (or any team, with teams off).
    func requireTeam(_ teamID: String, in organizationID: String) throws {
        guard settings.teamsEnabled,
              try db.findOne("team", [PluginDatabase.equals("id", .string(teamID)), PluginDatabase.equals("organizationId", .string(organizationID))]) != nil
        else { throw OrganizationError.teamNotFound.failure }
    }

    func members(of organizationID: String) throws -> [Membership] {
        try db.findMany("member", [PluginDatabase.equals("organizationId", .string(organizationID))]).map(Membership.init)
    }

    /// A member row with its user's public fields, as Better Auth lists members.
    func withUser(_ member: Membership) throws -> JSONValue {
        var row = member.row.objectValue ?? [:]
        let user = try host.call("users.find", ["id": .string(member.userID)])["user"]?.nonNull
        row["user"] = user.map { ["id": $0["id"] ?? .null, "name": $0["name"] ?? .null, "email": $0["email"] ?? .null, "image": $0["image"] ?? .null] } ?? .null
        return .object(row)
    }

    /// Announces a change to subscribed plugins; a failure to emit never fails the route.
    func emit(_ name: String, _ payload: JSONValue) {
        do {
            _ = try host.call("events.emit", ["name": .string(name), "payload": payload])
        } catch {
            host.log(.warning, "could not emit \(name): \(error)")
        }
    }

    /// `metadata` is stored as JSON text; the API shows it parsed.
    static func withMetadata(_ row: JSONValue) -> JSONValue {
        guard var object = row.objectValue, let text = object["metadata"]?.stringValue, let parsed = try? JSONValue.parse(text) else { return row }
        object["metadata"] = parsed
        return .object(object)
    }

    static func isExpired(_ row: JSONValue) -> Bool {
        (ISODate.parse(row["expiresAt"]) ?? .distantPast) <= Date()
    }
}
