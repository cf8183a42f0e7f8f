import GatehouseJSON
import OrderedCollections
import PluginKit
import SCIMProtocol

/// `/Groups`: an organization connection's groups are the organization's teams (`id` =
/// `team.id`, members = its team members, through the organization plugin's services); a
/// connection without organization keeps them in `scimGroup` / `scimGroupMember`. Members must
/// be users of the same connection. The document keeps each member entry as sent; the
/// memberships themselves are the truth (a team member added outside SCIM shows up too).
struct GroupProvisioning: ResourceCollection {
    static let table = "scimGroup"
    let db: PluginDatabase
    let site: ResourceLocation
    let users: UserProvisioning
    let teams: TeamGroups
    var type: SCIMResourceType { .group }

    func all(in connection: SCIMConnection) throws -> [JSONValue] {
        try db.findMany(Self.table, [PluginDatabase.equals("providerId", .string(connection.providerID))], orderBy: "createdAt")
            .map { try output($0, in: connection) }
    }

    /// The stored document with the members as they are now.
    func document(_ id: String, in connection: SCIMConnection) throws -> JSONValue {
        let row = try row(id, in: connection)
        var document = JSONValue.stored(row["document"]).objectValue ?? [:]
        document["members"] = .array(try members(row, document: .object(document), in: connection))
        return .object(document)
    }

    func output(_ id: String, in connection: SCIMConnection) throws -> JSONValue {
        try output(try row(id, in: connection), in: connection)
    }

    func create(_ document: JSONValue, in connection: SCIMConnection) throws -> JSONValue {
        let name = document["displayName"]?.stringValue ?? ""
        try requireFreeName(name, in: connection, except: nil)
        let wanted = try memberIDs(document, in: connection)
        let teamID = try connection.organizationID.map { try teams.create(name, in: $0) }
        let row: JSONValue
        do {
            row = try db.create(Self.table, [
                "providerId": .string(connection.providerID), "teamId": teamID.map(JSONValue.string) ?? .null,
                "displayNameKey": .string(name.lowercased()), "document": .string(document.serialized()),
            ])
            try sync(row, to: wanted, from: [])
        } catch {
            if let teamID { try? teams.remove(teamID) }
            throw error
        }
        return try output(row, in: connection)
    }

    func replace(_ id: String, with document: JSONValue, in connection: SCIMConnection) throws -> JSONValue {
        let row = try row(id, in: connection)
        let name = document["displayName"]?.stringValue ?? ""
        try requireFreeName(name, in: connection, except: row["id"]?.stringValue)
        let wanted = try memberIDs(document, in: connection)
        if let teamID = row["teamId"]?.stringValue, name != stored(row)["displayName"]?.stringValue {
            try teams.rename(teamID, to: name)
        }
        try sync(row, to: wanted, from: try currentMembers(row))
        _ = try db.update(Self.table, [PluginDatabase.equals("id", row["id"] ?? .null)],
                          ["displayNameKey": .string(name.lowercased()), "document": .string(document.serialized())])
        return try output(id, in: connection)
    }

    /// The team (or own group) and its memberships; the users stay, and stay members of the organization.
    func delete(_ id: String, in connection: SCIMConnection) throws {
        let row = try row(id, in: connection)
        if let teamID = row["teamId"]?.stringValue { try teams.remove(teamID) }
        _ = try db.delete(Self.table, [PluginDatabase.equals("id", row["id"] ?? .null)])
    }

    // MARK: Members

    /// Member user ids of a document: each must be a user of this connection.
    private func memberIDs(_ document: JSONValue, in connection: SCIMConnection) throws -> [String] {
        var ids: [String] = []
        for member in document["members"]?.arrayValue ?? [] {
            guard let id = member["value"]?.stringValue, member["type"]?.stringValue.map({ $0.lowercased() == "user" }) ?? true,
                  try users.provisioned(id, in: connection) else {
                throw SCIMError(scimType: "invalidValue", detail: "Group members must be users of this SCIM connection")
            }
            if !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    private func currentMembers(_ row: JSONValue) throws -> [String] {
        if let teamID = row["teamId"]?.stringValue { return try teams.members(of: teamID) }
        return try db.findMany("scimGroupMember", [PluginDatabase.equals("groupId", row["id"] ?? .null)]).compactMap { $0["userId"]?.stringValue }
    }

    private func sync(_ row: JSONValue, to wanted: [String], from current: [String]) throws {
        for userID in current where !wanted.contains(userID) {
            if let teamID = row["teamId"]?.stringValue {
                try teams.removeMember(userID, from: teamID)
            } else {
                _ = try db.delete("scimGroupMember", [PluginDatabase.equals("groupId", row["id"] ?? .null), PluginDatabase.equals("userId", .string(userID))])
            }
        }
        for userID in wanted where !current.contains(userID) {
            if let teamID = row["teamId"]?.stringValue {
                try teams.addMember(userID, to: teamID)
            } else {
                _ = try db.create("scimGroupMember", ["groupId": row["id"] ?? .null, "userId": .string(userID)])
            }
        }
    }

    /// The member entries: those of the document still members, as sent, then any other member.
    private func members(_ row: JSONValue, document: JSONValue, in connection: SCIMConnection) throws -> [JSONValue] {
        let current = try currentMembers(row)
        let sent = (document["members"]?.arrayValue ?? []).filter { $0["value"]?.stringValue.map(current.contains) ?? false }
        let listed = Set(sent.compactMap { $0["value"]?.stringValue })
        return sent + current.filter { !listed.contains($0) }.map { id in
            ["value": .string(id), "$ref": .string(site.location(.user, id)), "type": "User"]
        }
    }

    private func output(_ row: JSONValue, in connection: SCIMConnection) throws -> JSONValue {
        var document = stored(row).objectValue ?? [:]
        let members = try members(row, document: .object(document), in: connection)
        document["members"] = members.isEmpty ? nil : .array(members)
        return site.resource(.group, id: Self.resourceID(row), document: .object(document), row: row)
    }

    private func stored(_ row: JSONValue) -> JSONValue { .stored(row["document"]) }

    /// A team's id for an organization connection, the row's own otherwise.
    static func resourceID(_ row: JSONValue) -> String { row["teamId"]?.stringValue ?? row["id"]?.stringValue ?? "" }

    private func row(_ id: String, in connection: SCIMConnection) throws -> JSONValue {
        let key = connection.organizationID == nil ? "id" : "teamId"
        guard let row = try db.findOne(Self.table, [PluginDatabase.equals("providerId", .string(connection.providerID)),
                                                    PluginDatabase.equals(key, .string(id))]) else {
            throw SCIMError(status: 404, scimType: nil, detail: "Group \(id) not found")
        }
        return row
    }

    private func requireFreeName(_ name: String, in connection: SCIMConnection, except rowID: String?) throws {
        let holder = try db.findOne(Self.table, [PluginDatabase.equals("providerId", .string(connection.providerID)),
                                                 PluginDatabase.equals("displayNameKey", .string(name.lowercased()))])
        if let holder, holder["id"]?.stringValue != rowID {
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

    func members(of teamID: String) throws -> [String] {
        try organizations.call("listTeamMembers", ["teamId": .string(teamID)])["members"]?.arrayValue?.compactMap { $0["userId"]?.stringValue } ?? []
    }

    func addMember(_ userID: String, to teamID: String) throws {
        _ = try organizations.call("addTeamMember", ["teamId": .string(teamID), "userId": .string(userID)])
    }

    func removeMember(_ userID: String, from teamID: String) throws {
        _ = try organizations.call("removeTeamMember", ["teamId": .string(teamID), "userId": .string(userID)])
    }
}
