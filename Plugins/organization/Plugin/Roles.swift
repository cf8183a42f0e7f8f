import GatehouseJSON
import PluginKit

/// Dynamic roles (`dynamicAccessControl.enabled`): an organization defines roles of its own in
/// `organizationRole`, with permissions drawn from the configured statements (`ac` actions).
struct Roles: Sendable {
    let directory: Directory
    var db: PluginDatabase { directory.db }
    var settings: OrganizationSettings { directory.settings }

    func create(_ call: PluginCall) throws -> PluginAnswer {
        let id = try authorize(call, call.body["organizationId"]?.stringValue, "create")
        guard let name = call.body["role"]?.stringValue, !name.isEmpty, !name.contains(",") else {
            throw PluginError(code: "VALIDATION_ERROR", message: "role must be a name without commas")
        }
        guard settings.accessControl.roles[name] == nil, try find(name, in: id) == nil else { throw OrganizationError.roleNameTaken.failure }
        if let limit = settings.maximumRolesPerOrganization, try all(in: id).count >= limit {
            throw PluginError(code: "TOO_MANY_ROLES", message: "This organization has too many roles")
        }
        let permission = try AccessControl.permissions(call.body["permission"] ?? .null, within: settings.accessControl.statements, at: "permission")
        let row = try db.create("organizationRole", ["organizationId": .string(id), "role": .string(name),
                                                     "permission": .string(AccessControl.json(permission).serialized())])
        return .json(["success": true, "roleData": Self.output(row)])
    }

    func update(_ call: PluginCall) throws -> PluginAnswer {
        let id = try authorize(call, call.body["organizationId"]?.stringValue, "update")
        let row = try existing(call.body["roleName"]?.stringValue ?? call.body["roleId"]?.stringValue, in: id)
        var changes: [(String, JSONValue)] = []
        if let permission = call.body["data"]?["permission"] {
            let checked = try AccessControl.permissions(permission, within: settings.accessControl.statements, at: "permission")
            changes.append(("permission", .string(AccessControl.json(checked).serialized())))
        }
        if let newName = call.body["data"]?["roleName"]?.stringValue, newName != row["role"]?.stringValue {
            guard settings.accessControl.roles[newName] == nil, try find(newName, in: id) == nil else { throw OrganizationError.roleNameTaken.failure }
            changes.append(("role", .string(newName)))
        }
        if !changes.isEmpty { try db.update("organizationRole", [PluginDatabase.equals("id", row["id"] ?? .null)], .object(.init(uniqueKeysWithValues: changes))) }
        return .json(["success": true, "roleData": Self.output(try existing(row["id"]?.stringValue, in: id))])
    }

    func delete(_ call: PluginCall) throws -> PluginAnswer {
        let id = try authorize(call, call.body["organizationId"]?.stringValue, "delete")
        let key = call.body["roleName"]?.stringValue ?? call.body["roleId"]?.stringValue
        if let key, settings.accessControl.roles[key] != nil { throw OrganizationError.predefinedRole.failure }
        let row = try existing(key, in: id)
        let name = row["role"]?.stringValue ?? ""
        guard try !directory.members(of: id).contains(where: { $0.roles.contains(name) }) else { throw OrganizationError.roleInUse.failure }
        try db.delete("organizationRole", [PluginDatabase.equals("id", row["id"] ?? .null)])
        return .json(["success": true])
    }

    func list(_ call: PluginCall) throws -> PluginAnswer {
        let id = try authorize(call, call.query("organizationId"), "read")
        return .json(.array(try all(in: id).map(Self.output)))
    }

    func get(_ call: PluginCall) throws -> PluginAnswer {
        let id = try authorize(call, call.query("organizationId"), "read")
        return .json(Self.output(try existing(call.query("roleName") ?? call.query("roleId"), in: id)))
    }

    /// The organization, once the caller is a member allowed `ac:<action>`.
    private func authorize(_ call: PluginCall, _ organizationID: String?, _ action: String) throws -> String {
        guard settings.dynamicAccessControl else {
            throw PluginError(status: 404, code: "DYNAMIC_ACCESS_CONTROL_NOT_ENABLED", message: "Dynamic access control is not enabled")
        }
        let caller = try Caller(call)
        let id = try directory.organizationID(organizationID, caller)
        let member = try directory.requireMember(caller, in: id)
        try directory.require(["ac": [action]], member, in: id, else: .notAllowedToManageRoles)
        return id
    }

    private func all(in organizationID: String) throws -> [JSONValue] {
        try db.findMany("organizationRole", [PluginDatabase.equals("organizationId", .string(organizationID))])
    }

    private func find(_ key: String, in organizationID: String) throws -> JSONValue? {
        try all(in: organizationID).first { $0["role"]?.stringValue == key || $0["id"]?.stringValue == key }
    }

    private func existing(_ key: String?, in organizationID: String) throws -> JSONValue {
        guard let key, let row = try find(key, in: organizationID) else { throw OrganizationError.roleNotFound.failure }
        return row
    }

    /// The row with `permission` parsed.
    static func output(_ row: JSONValue) -> JSONValue {
        guard var object = row.objectValue, let text = object["permission"]?.stringValue, let parsed = try? JSONValue.parse(text) else { return row }
        object["permission"] = parsed
        return .object(object)
    }
}
