import GatehouseJSON
import PluginKit

/// Member routes: list-members, get-active-member(-role), update-member-role, remove-member and
/// leave. An organization always keeps at least one owner, and only owners touch owners.
struct Members: Sendable {
    let directory: Directory
    var db: PluginDatabase { directory.db }

    func list(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let id = try directory.organizationID(call.query("organizationId"), caller)
        _ = try directory.requireMember(caller, in: id)
        var members = try directory.members(of: id)
        let total = members.count
        let offset = Int(call.query("offset") ?? "") ?? 0
        let limit = Int(call.query("limit") ?? "") ?? total
        members = Array(members.dropFirst(max(0, offset)).prefix(max(0, limit)))
        return .json(["members": .array(try members.map(directory.withUser)), "total": .int(total)])
    }

    func active(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let id = try directory.organizationID(nil, caller)
        guard let member = try directory.membership(of: caller.userID, in: id) else { throw OrganizationError.memberNotFound.failure }
        return .json(try directory.withUser(member))
    }

    func activeRole(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let id = try directory.organizationID(call.query("organizationId"), caller)
        guard let member = try directory.membership(of: caller.userID, in: id) else { throw OrganizationError.memberNotFound.failure }
        return .json(["role": member.row["role"] ?? .null])
    }

    func updateRole(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let id = try directory.organizationID(call.body["organizationId"]?.stringValue, caller)
        let actor = try directory.requireMember(caller, in: id)
        try directory.require(["member": ["update"]], actor, in: id, else: .notAllowedToUpdateMember)
        let roles = try roleList(call.body["role"], in: id)
        guard let memberID = call.body["memberId"]?.stringValue, let target = try member(memberID, in: id) else { throw OrganizationError.memberNotFound.failure }
        // Owners are made and unmade by owners only; the last owner stays an owner.
        if (target.isOwner || roles.contains("owner")) && !actor.isOwner { throw OrganizationError.notAllowedToUpdateMember.failure }
        return .json(try setRoles(target, roles, in: id))
    }

    func remove(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let id = try directory.organizationID(call.body["organizationId"]?.stringValue, caller)
        let actor = try directory.requireMember(caller, in: id)
        guard let key = call.body["memberIdOrEmail"]?.stringValue, let target = try find(key, in: id) else { throw OrganizationError.memberNotFound.failure }
        if target.userID != caller.userID { try directory.require(["member": ["delete"]], actor, in: id, else: .notAllowedToDeleteMember) }
        if target.isOwner && !actor.isOwner { throw OrganizationError.notAllowedToDeleteMember.failure }
        try removeMember(target, from: id)
        return .json(["member": target.row])
    }

    func leave(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let id = try directory.organizationID(call.body["organizationId"]?.stringValue, caller)
        let member = try directory.requireMember(caller, in: id)
        try removeMember(member, from: id)
        return .json(member.row)
    }

    /// Refuses a user who is already a member, or an organization at its membership limit.
    func checkRoom(for userID: String, in organizationID: String) throws {
        guard try directory.membership(of: userID, in: organizationID) == nil else { throw OrganizationError.alreadyMember.failure }
        guard try directory.members(of: organizationID).count < directory.settings.membershipLimit else { throw OrganizationError.membershipLimit.failure }
    }

    /// Creates the membership (after `checkRoom`) with its team memberships; answers the member row.
    func add(userID: String, role: String, to organizationID: String, teamIDs: [String] = []) throws -> JSONValue {
        let member = try db.create("member", ["organizationId": .string(organizationID), "userId": .string(userID), "role": .string(role)])
        if directory.settings.teamsEnabled {
            for teamID in teamIDs { try db.create("teamMember", ["teamId": .string(teamID), "userId": .string(userID)]) }
        }
        directory.emit("organization.member.added", ["organizationId": .string(organizationID), "member": member])
        return member
    }

    /// Gives `target` exactly `roles`; the last owner stays an owner. Answers the member with its user.
    func setRoles(_ target: Membership, _ roles: [String], in organizationID: String) throws -> JSONValue {
        if target.isOwner, !roles.contains("owner"), try owners(of: organizationID) <= 1 { throw OrganizationError.onlyOwner.failure }
        try db.update("member", [PluginDatabase.equals("id", .string(target.id))], ["role": .string(roles.joined(separator: ","))])
        let updated = try member(target.id, in: organizationID)
        directory.emit("organization.member.updated", ["organizationId": .string(organizationID), "member": updated?.row ?? .null,
                                                       "previousRole": target.row["role"] ?? .null])
        return try updated.map(directory.withUser) ?? .null
    }

    /// Deletes the membership (and its team memberships); never the last owner.
    func removeMember(_ member: Membership, from organizationID: String) throws {
        if member.isOwner, try owners(of: organizationID) <= 1 { throw OrganizationError.onlyOwner.failure }
        let teamIDs = try db.findMany("team", [PluginDatabase.equals("organizationId", .string(organizationID))]).compactMap { $0["id"] }
        var operations: [JSONValue] = [["op": "db.delete", "table": "member", "where": [["field": "id", "value": .string(member.id)]]]]
        if !teamIDs.isEmpty {
            operations.append(["op": "db.delete", "table": "teamMember", "where": [
                ["field": "userId", "value": .string(member.userID)], ["field": "teamId", "operator": "IN", "value": .array(teamIDs)],
            ]])
        }
        operations.append(["op": "db.update", "table": "session", "where": [
            ["field": "userId", "value": .string(member.userID)], ["field": "activeOrganizationId", "value": .string(organizationID)],
        ], "data": ["activeOrganizationId": .null, "activeTeamId": .null]])
        _ = try directory.host.call("db.transaction", ["operations": .array(operations)])
        directory.emit("organization.member.removed", ["organizationId": .string(organizationID), "member": member.row])
    }

    /// A role or list of roles, each of which must exist in the organization.
    func roleList(_ value: JSONValue?, in organizationID: String) throws -> [String] {
        let roles = value?.stringValue.map { AccessControl.roleNames($0) } ?? value?.arrayValue?.compactMap(\.stringValue) ?? []
        guard !roles.isEmpty else { throw PluginError(code: "VALIDATION_ERROR", message: "role must be a role name or a list of them") }
        for role in roles where try !directory.roleExists(role, in: organizationID) { throw OrganizationError.roleNotFound.failure }
        return roles
    }

    private func owners(of organizationID: String) throws -> Int {
        try directory.members(of: organizationID).filter(\.isOwner).count
    }

    private func member(_ id: String, in organizationID: String) throws -> Membership? {
        try db.findOne("member", [PluginDatabase.equals("id", .string(id)), PluginDatabase.equals("organizationId", .string(organizationID))])
            .map(Membership.init)
    }

    /// A member by member id, or by the email of their user.
    private func find(_ key: String, in organizationID: String) throws -> Membership? {
        if key.contains("@") {
            guard let user = try directory.host.call("users.find", ["email": .string(key)])["user"]?.nonNull, let userID = user["id"]?.stringValue else { return nil }
            return try directory.membership(of: userID, in: organizationID)
        }
        return try member(key, in: organizationID)
    }
}
