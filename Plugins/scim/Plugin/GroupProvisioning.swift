import GatehouseJSON
import OrderedCollections
import PluginKit
import SCIMProtocol

/// `/Groups`: an organization connection's groups are the organization's teams (`id` =
/// `team.id`, members = its team members, through the organization plugin's services); a
/// connection without organization keeps them in `scimGroup` / `scimGroupMember`. Members the
/// connection adds must be its own users. The document keeps each member entry as sent; the
/// memberships themselves are the truth (a team member added outside SCIM shows up too, and a
/// team deleted outside SCIM takes its group with it).
struct GroupProvisioning: ResourceCollection {
    static let table = "scimGroup"
    let db: PluginDatabase
    let site: ResourceLocation
    let users: UserProvisioning
    let teams: TeamGroups
    var type: SCIMResourceType { .group }

    func all(in connection: SCIMConnection) throws -> [JSONValue] {
        try db.findMany(Self.table, [connection.scope], orderBy: "createdAt").inCreationOrder.compactMap { row in
            try liveMembers(row).map { output(row, members: $0) }
        }
    }

    /// The stored document with the members as they are now.
    func document(_ id: String, in connection: SCIMConnection) throws -> JSONValue {
        let (row, members) = try group(id, in: connection)
        var document = stored(row).objectValue ?? [:]
        document["members"] = .array(entries(members, document: stored(row)))
        return .object(document)
    }

    func output(_ id: String, in connection: SCIMConnection) throws -> JSONValue {
        let (row, members) = try group(id, in: connection)
        return output(row, members: members)
    }

    func create(_ document: JSONValue, in connection: SCIMConnection) throws -> JSONValue {
        let name = document["displayName"]?.stringValue ?? ""
        try requireFreeName(name, in: connection, except: nil)
        let wanted = Self.memberIDs(document)
        try requireAddable(wanted, in: connection)
        let teamID = try connection.organizationID.map { try teams.create(name, in: $0) }
        var row: JSONValue?
        do {
            row = try db.create(Self.table, [
                "connectionId": .string(connection.id), "teamId": teamID.map(JSONValue.string) ?? .null,
                "displayNameKey": .string(name.lowercased()), "document": .string(document.serialized()),
            ])
            try change(row ?? [:], adding: wanted, removing: [])
        } catch {
            // Nothing of a refused creation stays: the row (with its own members) and the team.
            if let id = row?["id"] { _ = try? db.delete(Self.table, [PluginDatabase.equals("id", id)]) }
            if let teamID { try? teams.remove(teamID) }
            try requireFreeName(name, in: connection, except: nil)  // a concurrent request took it: 409
            throw error
        }
        return try output(Self.resourceID(row ?? [:]), in: connection)
    }

    /// PUT sets the members to the document's; a PATCH (`previous`: the document it was applied
    /// to) changes only the members it added or removed, so concurrent PATCHes that each add a
    /// member (as Entra sends them) both hold.
    func replace(_ id: String, with document: JSONValue, previous: JSONValue?, in connection: SCIMConnection) throws -> JSONValue {
        let (row, live) = try group(id, in: connection)
        let name = document["displayName"]?.stringValue ?? ""
        try requireFreeName(name, in: connection, except: row["id"]?.stringValue)
        let wanted = Self.memberIDs(document)
        let base = previous.map(Self.memberIDs) ?? live
        let adding = wanted.filter { !base.contains($0) && !live.contains($0) }
        let removing = base.filter { !wanted.contains($0) && live.contains($0) }
        try requireAddable(adding, in: connection)
        let renamed = row["teamId"]?.stringValue.flatMap { name != stored(row)["displayName"]?.stringValue ? $0 : nil }
        do {
            if let renamed { try teams.rename(renamed, to: name) }
            try change(row, adding: adding, removing: removing)
        } catch {
            // A refused member (a team limit, a user who left the organization): back as it was.
            if let renamed, let previous = stored(row)["displayName"]?.stringValue { try? teams.rename(renamed, to: previous) }
            if let now = try? currentMembers(row) {
                try? change(row, adding: removing.filter { !now.contains($0) }, removing: adding.filter(now.contains))
            }
            throw error
        }
        _ = try db.update(Self.table, [PluginDatabase.equals("id", row["id"] ?? .null)],
                          ["displayNameKey": .string(name.lowercased()), "document": .string(document.serialized())])
        return try output(id, in: connection)
    }

    /// The team (or own group) and its memberships; the users stay, and stay members of the organization.
    func delete(_ id: String, in connection: SCIMConnection) throws {
        let (row, _) = try group(id, in: connection)
        if let teamID = row["teamId"]?.stringValue { try teams.remove(teamID) }
        _ = try db.delete(Self.table, [PluginDatabase.equals("id", row["id"] ?? .null)])
    }

    // MARK: Members

    private static func memberIDs(_ document: JSONValue) -> [String] {
        var ids: [String] = []
        for id in (document["members"]?.arrayValue ?? []).compactMap({ $0["value"]?.stringValue }) where !ids.contains(id) { ids.append(id) }
        return ids
    }

    /// A member the connection adds must be one of its users (not a group, not anyone else's user).
    private func requireAddable(_ userIDs: [String], in connection: SCIMConnection) throws {
        for userID in userIDs where try !users.provisioned(userID, in: connection) {
            throw SCIMError(scimType: "invalidValue", detail: "Group members must be users of this SCIM connection")
        }
    }

    /// The members now; nil when the group's team is gone (deleted outside SCIM).
    private func currentMembers(_ row: JSONValue) throws -> [String]? {
        if let teamID = row["teamId"]?.stringValue { return try teams.members(of: teamID) }
        return try db.findMany("scimGroupMember", [PluginDatabase.equals("groupId", row["id"] ?? .null)]).compactMap { $0["userId"]?.stringValue }
    }

    /// The members now; a group whose team is gone is forgotten (nil), so its name is free again.
    private func liveMembers(_ row: JSONValue) throws -> [String]? {
        if let members = try currentMembers(row) { return members }
        _ = try db.delete(Self.table, [PluginDatabase.equals("id", row["id"] ?? .null)])
        return nil
    }

    private func change(_ row: JSONValue, adding: [String], removing: [String]) throws {
        for userID in removing {
            if let teamID = row["teamId"]?.stringValue {
                try teams.removeMember(userID, from: teamID)
            } else {
                _ = try db.delete("scimGroupMember", [PluginDatabase.equals("groupId", row["id"] ?? .null), PluginDatabase.equals("userId", .string(userID))])
            }
        }
        for userID in adding {
            if let teamID = row["teamId"]?.stringValue {
                try teams.addMember(userID, to: teamID)
            } else {
                _ = try db.create("scimGroupMember", ["groupId": row["id"] ?? .null, "userId": .string(userID)])
            }
        }
    }

    /// The member entries: those of the document still members, as sent, then any other member.
    private func entries(_ members: [String], document: JSONValue) -> [JSONValue] {
        let sent = (document["members"]?.arrayValue ?? []).filter { $0["value"]?.stringValue.map(members.contains) ?? false }
        let listed = Set(sent.compactMap { $0["value"]?.stringValue })
        return sent + members.filter { !listed.contains($0) }.map { id in
            ["value": .string(id), "$ref": .string(site.location(.user, id)), "type": "User"]
        }
    }

    private func output(_ row: JSONValue, members: [String]) -> JSONValue {
        var document = stored(row).objectValue ?? [:]
        let entries = entries(members, document: stored(row))
        document["members"] = entries.isEmpty ? nil : .array(entries)
        return site.resource(.group, id: Self.resourceID(row), document: .object(document), row: row)
    }

    private func stored(_ row: JSONValue) -> JSONValue { .stored(row["document"]) }

    /// A team's id for an organization connection, the row's own otherwise.
    static func resourceID(_ row: JSONValue) -> String { row["teamId"]?.stringValue ?? row["id"]?.stringValue ?? "" }

    /// The group `id` of the connection with its members (404 when there is none, or its team is gone).
    private func group(_ id: String, in connection: SCIMConnection) throws -> (row: JSONValue, members: [String]) {
        let key = connection.organizationID == nil ? "id" : "teamId"
        guard let row = try db.findOne(Self.table, [connection.scope, PluginDatabase.equals(key, .string(id))]),
              let members = try liveMembers(row) else {
            throw SCIMError(status: 404, scimType: nil, detail: "Group \(id) not found")
        }
        return (row, members)
    }

    private func requireFreeName(_ name: String, in connection: SCIMConnection, except rowID: String?) throws {
        let holder = try db.findOne(Self.table, [connection.scope, PluginDatabase.equals("displayNameKey", .string(name.lowercased()))])
        if let holder, holder["id"]?.stringValue != rowID, try liveMembers(holder) != nil {
            throw SCIMError(status: 409, scimType: "uniqueness", detail: "displayName is already taken in this connection")
        }
    }
}

/// An organization's teams, through the organization plugin's services.
struct TeamGroups: Sendable {
    let organizations: OrganizationAccess

    func create(_ name: String, in organizationID: String) throws -> String {
        let team = try organizations.call("createTeam", ["organizationId": .string(organizationID), "name": .string(name)])
        guard let id = team["id"]?.stringValue else { throw SCIMError(status: 500, scimType: nil, detail: "The team was not created") }
        return id
    }

    func rename(_ teamID: String, to name: String) throws {
        _ = try organizations.call("updateTeam", ["teamId": .string(teamID), "name": .string(name)])
    }

    func remove(_ teamID: String) throws {
        _ = try organizations.call("removeTeam", ["teamId": .string(teamID)])
    }

    /// Its members' user ids; nil when the team no longer exists.
    func members(of teamID: String) throws -> [String]? {
        do {
            return try organizations.call("listTeamMembers", ["teamId": .string(teamID)])["members"]?.arrayValue?.compactMap { $0["userId"]?.stringValue } ?? []
        } catch let error as PluginError where error.code == "TEAM_NOT_FOUND" {
            return nil
        }
    }

    func addMember(_ userID: String, to teamID: String) throws {
        _ = try organizations.call("addTeamMember", ["teamId": .string(teamID), "userId": .string(userID)])
    }

    func removeMember(_ userID: String, from teamID: String) throws {
        _ = try organizations.call("removeTeamMember", ["teamId": .string(teamID), "userId": .string(userID)])
    }
}
