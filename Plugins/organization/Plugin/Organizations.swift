import Foundation
import GatehouseJSON
import PluginKit

/// Organization routes: create, check-slug, update, delete, get-full-organization, list,
/// set-active and has-permission.
struct Organizations: Sendable {
    let directory: Directory
    var db: PluginDatabase { directory.db }
    var settings: OrganizationSettings { directory.settings }

    func create(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        guard settings.allowUserToCreateOrganization else { throw OrganizationError.notAllowedToCreate.failure }
        if let limit = settings.organizationLimit,
           try db.findMany("member", [PluginDatabase.equals("userId", .string(caller.userID))]).count >= limit {
            throw OrganizationError.organizationLimit.failure
        }
        let slug = try slugValue(call.body["slug"])
        guard let name = call.body["name"]?.stringValue, !name.isEmpty else { throw Self.invalid("name must be a non-empty string") }
        try Self.checkOptional(call.body)
        guard try db.findOne("organization", [PluginDatabase.equals("slug", .string(slug))]) == nil else { throw OrganizationError.slugTaken.failure }
        let id = directory.host.randomText(32, alphabet: Self.idAlphabet)
        do {
            _ = try directory.host.call("db.transaction", ["operations": [
                ["op": "db.create", "table": "organization", "data": [
                    "id": .string(id), "name": .string(name), "slug": .string(slug), "logo": call.body["logo"] ?? .null,
                    "metadata": call.body["metadata"].flatMap { $0.nonNull }.map { .string($0.serialized()) } ?? .null,
                ]],
                ["op": "db.create", "table": "member", "data": [
                    "organizationId": .string(id), "userId": .string(caller.userID), "role": .string(settings.creatorRole),
                ]],
            ]])
        } catch {
            // Lost a race for the slug (unique index).
            throw OrganizationError.slugTaken.failure
        }
        if call.body["keepCurrentActiveOrganization"]?.boolValue != true { try setActive(caller, organizationID: id) }
        let organization = try directory.organization(id)
        let members = try directory.members(of: id)
        directory.emit("organization.created", ["organization": organization, "userId": .string(caller.userID)])
        for member in members { directory.emit("organization.member.added", ["organizationId": .string(id), "member": member.row]) }
        var body = organization.objectValue ?? [:]
        body["members"] = .array(members.map(\.row))
        return .json(.object(body))
    }

    func checkSlug(_ call: PluginCall) throws -> PluginAnswer {
        _ = try Caller(call)
        let slug = try slugValue(call.body["slug"])
        guard try db.findOne("organization", [PluginDatabase.equals("slug", .string(slug))]) == nil else { throw OrganizationError.slugTaken.failure }
        return .json(["status": true])
    }

    func update(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let id = try directory.organizationID(call.body["organizationId"]?.stringValue, caller)
        let member = try directory.requireMember(caller, in: id)
        try directory.require(["organization": ["update"]], member, in: id, else: .notAllowedToUpdate)
        let data = call.body["data"] ?? .null
        guard data.objectValue != nil else { throw Self.invalid("data must be an object") }
        if let name = data["name"], name.stringValue?.isEmpty ?? true { throw Self.invalid("name must be a non-empty string") }
        try Self.checkOptional(data)
        var changes: [(String, JSONValue)] = []
        if let name = data["name"]?.stringValue { changes.append(("name", .string(name))) }
        if let logo = data["logo"] { changes.append(("logo", logo)) }
        if let metadata = data["metadata"] { changes.append(("metadata", metadata.nonNull.map { .string($0.serialized()) } ?? .null)) }
        if let slugJSON = data["slug"] {
            let slug = try slugValue(slugJSON)
            if let other = try db.findOne("organization", [PluginDatabase.equals("slug", .string(slug))]), other["id"]?.stringValue != id {
                throw OrganizationError.slugTaken.failure
            }
            changes.append(("slug", .string(slug)))
        }
        if !changes.isEmpty { try db.update("organization", [PluginDatabase.equals("id", .string(id))], .object(.init(uniqueKeysWithValues: changes))) }
        return .json(try directory.organization(id))
    }

    /// Deletes the organization with its members, invitations, teams and roles.
    func delete(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let id = try directory.organizationID(call.body["organizationId"]?.stringValue, caller)
        let member = try directory.requireMember(caller, in: id)
        try directory.require(["organization": ["delete"]], member, in: id, else: .notAllowedToDelete)
        let organization = try directory.organization(id)
        let members = try directory.members(of: id)
        let teamIDs = try db.findMany("team", [PluginDatabase.equals("organizationId", .string(id))]).compactMap { $0["id"] }
        var operations: [JSONValue] = []
        if !teamIDs.isEmpty { operations.append(["op": "db.delete", "table": "teamMember", "where": [["field": "teamId", "operator": "IN", "value": .array(teamIDs)]]]) }
        for table in ["team", "invitation", "member", "organizationRole"] {
            operations.append(["op": "db.delete", "table": .string(table), "where": [["field": "organizationId", "value": .string(id)]]])
        }
        operations.append(["op": "db.update", "table": "session", "where": [["field": "activeOrganizationId", "value": .string(id)]],
                           "data": ["activeOrganizationId": .null, "activeTeamId": .null]])
        operations.append(["op": "db.delete", "table": "organization", "where": [["field": "id", "value": .string(id)]]])
        _ = try directory.host.call("db.transaction", ["operations": .array(operations)])
        for removed in members { directory.emit("organization.member.removed", ["organizationId": .string(id), "member": removed.row]) }
        directory.emit("organization.deleted", ["organization": organization, "userId": .string(caller.userID)])
        return .json(organization)
    }

    /// The organization with its members, invitations (and teams): by id or slug, else the active one.
    func full(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        var id = call.query("organizationId")
        if let slug = call.query("organizationSlug") {
            guard let row = try db.findOne("organization", [PluginDatabase.equals("slug", .string(slug))]) else { throw OrganizationError.organizationNotFound.failure }
            id = row["id"]?.stringValue
        }
        guard let id = id ?? caller.activeOrganizationID else { return .json(.null) }
        _ = try directory.requireMember(caller, in: id)
        return .json(try fullOrganization(id))
    }

    func fullOrganization(_ id: String) throws -> JSONValue {
        var body = try directory.organization(id).objectValue ?? [:]
        body["members"] = .array(try directory.members(of: id).map(directory.withUser))
        body["invitations"] = .array(try db.findMany("invitation", [PluginDatabase.equals("organizationId", .string(id))]))
        if settings.teamsEnabled { body["teams"] = .array(try db.findMany("team", [PluginDatabase.equals("organizationId", .string(id))])) }
        return .object(body)
    }

    func list(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let ids = try db.findMany("member", [PluginDatabase.equals("userId", .string(caller.userID))]).compactMap { $0["organizationId"] }
        guard !ids.isEmpty else { return .json([]) }
        return .json(.array(try db.findMany("organization", [("id", "IN", .array(ids))]).map(Directory.withMetadata)))
    }

    /// Sets (or with `organizationId: null`, clears) the session's active organization.
    func setActive(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        var id = call.body["organizationId"]?.stringValue
        if let slug = call.body["organizationSlug"]?.stringValue {
            guard let row = try db.findOne("organization", [PluginDatabase.equals("slug", .string(slug))]) else { throw OrganizationError.organizationNotFound.failure }
            id = row["id"]?.stringValue
        }
        guard let id else {
            try db.update("session", [PluginDatabase.equals("token", .string(caller.sessionToken))], ["activeOrganizationId": .null, "activeTeamId": .null])
            return .json(.null)
        }
        _ = try directory.requireMember(caller, in: id)
        try setActive(caller, organizationID: id)
        return .json(try fullOrganization(id))
    }

    func setActive(_ caller: Caller, organizationID: String) throws {
        try db.update("session", [PluginDatabase.equals("token", .string(caller.sessionToken))],
                      ["activeOrganizationId": .string(organizationID), "activeTeamId": .null])
    }

    /// `{permissions: {resource: [actions]}}` → `{success, error: null}` for the caller's roles.
    func hasPermission(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let id = try directory.organizationID(call.body["organizationId"]?.stringValue, caller)
        let member = try directory.requireMember(caller, in: id)
        let request = try AccessControl.permissions(call.body["permissions"] ?? call.body["permission"] ?? .null,
                                                    within: settings.accessControl.statements, at: "permissions")
        return .json(["success": .bool(try directory.allows(member.roles, request, in: id)), "error": .null])
    }

    static let idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    /// `logo` is text or null, `metadata` an object or null.
    private static func checkOptional(_ body: JSONValue) throws {
        if let logo = body["logo"]?.nonNull, logo.stringValue == nil { throw invalid("logo must be a string") }
        if let metadata = body["metadata"]?.nonNull, metadata.objectValue == nil { throw invalid("metadata must be an object") }
    }

    private static func invalid(_ message: String) -> PluginError { PluginError(code: "VALIDATION_ERROR", message: message) }

    private func slugValue(_ value: JSONValue?) throws -> String {
        guard let slug = value?.stringValue, !slug.isEmpty, slug.count <= 100,
              slug.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw Self.invalid("slug must be 1 to 100 letters, digits, - or _")
        }
        return slug.lowercased()
    }
}
