import GatehouseJSON
import PluginKit

/// Team routes (`teams.enabled`). Teams belong to one organization; their members must be members
/// of it. With teams off, these routes answer 404.
struct Teams: Sendable {
    let directory: Directory
    var db: PluginDatabase { directory.db }
    var settings: OrganizationSettings { directory.settings }

    func create(_ call: PluginCall) throws -> PluginAnswer {
        let (_, id, actor) = try context(call, call.body["organizationId"]?.stringValue)
        try directory.require(["team": ["create"]], actor, in: id, else: .notAllowedToManageTeams)
        return .json(try createTeam(named: call.body["name"]?.stringValue, in: id))
    }

    func update(_ call: PluginCall) throws -> PluginAnswer {
        let team = try team(call.body["teamId"]?.stringValue)
        let (_, id, actor) = try context(call, team["organizationId"]?.stringValue)
        try directory.require(["team": ["update"]], actor, in: id, else: .notAllowedToManageTeams)
        if let name = call.body["data"]?["name"]?.stringValue { return .json(try rename(team, to: name)) }
        return .json(team)
    }

    func remove(_ call: PluginCall) throws -> PluginAnswer {
        let team = try team(call.body["teamId"]?.stringValue)
        let (_, id, actor) = try context(call, team["organizationId"]?.stringValue)
        try directory.require(["team": ["delete"]], actor, in: id, else: .notAllowedToManageTeams)
        try delete(team)
        return .json(["message": "Team removed successfully."])
    }

    func setActive(_ call: PluginCall) throws -> PluginAnswer {
        try enabled()
        let caller = try Caller(call)
        guard let teamID = call.body["teamId"]?.stringValue else {
            try db.update("session", [PluginDatabase.equals("token", .string(caller.sessionToken))], ["activeTeamId": .null])
            return .json(.null)
        }
        let team = try team(teamID)
        guard try db.findOne("teamMember", [PluginDatabase.equals("teamId", .string(teamID)), PluginDatabase.equals("userId", .string(caller.userID))]) != nil else {
            throw OrganizationError.notTeamMember.failure
        }
        try db.update("session", [PluginDatabase.equals("token", .string(caller.sessionToken))],
                      ["activeTeamId": .string(teamID), "activeOrganizationId": team["organizationId"] ?? .null])
        return .json(team)
    }

    func list(_ call: PluginCall) throws -> PluginAnswer {
        let (_, id, _) = try context(call, call.query("organizationId"))
        return .json(.array(try teams(of: id)))
    }

    func addMember(_ call: PluginCall) throws -> PluginAnswer {
        let team = try team(call.body["teamId"]?.stringValue)
        let (_, id, actor) = try context(call, team["organizationId"]?.stringValue)
        try directory.require(["team": ["update"]], actor, in: id, else: .notAllowedToManageTeams)
        return .json(try add(call.body["userId"]?.stringValue, to: team))
    }

    func removeMember(_ call: PluginCall) throws -> PluginAnswer {
        let team = try team(call.body["teamId"]?.stringValue)
        let (caller, id, actor) = try context(call, team["organizationId"]?.stringValue)
        let userID = call.body["userId"]?.stringValue ?? ""
        if userID != caller.userID { try directory.require(["team": ["update"]], actor, in: id, else: .notAllowedToManageTeams) }
        guard try remove(userID, from: team) else { throw OrganizationError.notTeamMember.failure }
        return .json(["message": "Team member removed successfully."])
    }

    /// Members of a team (default: the active one) for its members and for team managers.
    func listMembers(_ call: PluginCall) throws -> PluginAnswer {
        try enabled()
        let caller = try Caller(call)
        let team = try team(call.query("teamId") ?? caller.activeTeamID)
        let (_, id, actor) = try context(call, team["organizationId"]?.stringValue)
        let members = try teamMembers(team)
        if !members.contains(where: { $0["userId"]?.stringValue == caller.userID }) {
            try directory.require(["team": ["update"]], actor, in: id, else: .notTeamMember)
        }
        return .json(.array(members))
    }

    func listForUser(_ call: PluginCall) throws -> PluginAnswer {
        try enabled()
        let caller = try Caller(call)
        let ids = try db.findMany("teamMember", [PluginDatabase.equals("userId", .string(caller.userID))]).compactMap { $0["teamId"] }
        return .json(ids.isEmpty ? [] : .array(try db.findMany("team", [("id", "IN", .array(ids))])))
    }

    // MARK: What the routes and the services share (the caller's rights are checked before)

    /// A new team in `organizationID`, within `maximumTeams`.
    func createTeam(named name: String?, in organizationID: String) throws -> JSONValue {
        guard let name, !name.isEmpty else { throw PluginError(code: "VALIDATION_ERROR", message: "name is required") }
        if let limit = settings.maximumTeams, try teams(of: organizationID).count >= limit { throw OrganizationError.teamLimit.failure }
        return try db.create("team", ["name": .string(name), "organizationId": .string(organizationID)])
    }

    func rename(_ team: JSONValue, to name: String) throws -> JSONValue {
        try db.update("team", [PluginDatabase.equals("id", team["id"] ?? .null)], ["name": .string(name)])
        return try self.team(team["id"]?.stringValue)
    }

    /// The team with its memberships, and any session's pointer to it, at once.
    func delete(_ team: JSONValue) throws {
        _ = try directory.host.call("db.transaction", ["operations": [
            ["op": "db.delete", "table": "teamMember", "where": [["field": "teamId", "value": team["id"] ?? .null]]],
            ["op": "db.update", "table": "session", "where": [["field": "activeTeamId", "value": team["id"] ?? .null]], "data": ["activeTeamId": .null]],
            ["op": "db.delete", "table": "team", "where": [["field": "id", "value": team["id"] ?? .null]]],
        ]])
    }

    /// Adds a member of the team's organization (once; within `maximumMembersPerTeam`).
    func add(_ userID: String?, to team: JSONValue) throws -> JSONValue {
        guard let userID, let organizationID = team["organizationId"]?.stringValue,
              try directory.membership(of: userID, in: organizationID) != nil else { throw OrganizationError.notMember.failure }
        let existing = try teamMembers(team)
        if let row = existing.first(where: { $0["userId"]?.stringValue == userID }) { return row }
        if let limit = settings.maximumMembersPerTeam, existing.count >= limit { throw OrganizationError.teamMemberLimit.failure }
        return try db.create("teamMember", ["teamId": team["id"] ?? .null, "userId": .string(userID)])
    }

    /// Whether `userID` was in the team (and now is not).
    func remove(_ userID: String, from team: JSONValue) throws -> Bool {
        try db.delete("teamMember", [PluginDatabase.equals("teamId", team["id"] ?? .null), PluginDatabase.equals("userId", .string(userID))]) == 1
    }

    /// The team `id` (404 TEAM_NOT_FOUND; 404 TEAMS_NOT_ENABLED when teams are off).
    func team(_ id: String?) throws -> JSONValue {
        try enabled()
        guard let id, let team = try db.findOne("team", [PluginDatabase.equals("id", .string(id))]) else { throw OrganizationError.teamNotFound.failure }
        return team
    }

    func teamMembers(_ team: JSONValue) throws -> [JSONValue] {
        try db.findMany("teamMember", [PluginDatabase.equals("teamId", team["id"] ?? .null)])
    }

    /// Teams are on (`teams.enabled`); else 404 TEAMS_NOT_ENABLED.
    func enabled() throws {
        guard settings.teamsEnabled else { throw PluginError(status: 404, code: "TEAMS_NOT_ENABLED", message: "Teams are not enabled") }
    }

    /// The caller, the organization and the caller's membership in it.
    private func context(_ call: PluginCall, _ organizationID: String?) throws -> (Caller, String, Membership) {
        try enabled()
        let caller = try Caller(call)
        let id = try directory.organizationID(organizationID, caller)
        return (caller, id, try directory.requireMember(caller, in: id))
    }

    private func teams(of organizationID: String) throws -> [JSONValue] {
        try db.findMany("team", [PluginDatabase.equals("organizationId", .string(organizationID))])
    }
}
