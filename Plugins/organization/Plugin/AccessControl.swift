import Foundation
import GatehouseJSON
import PluginKit

/// Better Auth's access control: statements `{resource: [actions]}`, roles that grant a subset
/// of them, members holding one or more roles (comma-separated). Custom statements and roles
/// come from settings; with dynamic access control, an organization's own roles come from the
/// `organizationRole` table.
struct AccessControl: Sendable {
    typealias Permissions = [String: Set<String>]

    static let defaultStatements: Permissions = [
        "organization": ["update", "delete"], "member": ["create", "update", "delete"], "invitation": ["create", "cancel"],
        "team": ["create", "update", "delete"], "ac": ["create", "read", "update", "delete"],
    ]
    static let defaultRoles: [String: Permissions] = [
        "owner": defaultStatements,
        "admin": ["organization": ["update"], "member": ["create", "update", "delete"], "invitation": ["create", "cancel"],
                  "team": ["create", "update", "delete"], "ac": ["create", "read", "update", "delete"]],
        "member": ["ac": ["read"]],
    ]

    let statements: Permissions
    let roles: [String: Permissions]

    init(settings: JSONValue) throws {
        var statements = Self.defaultStatements
        for (resource, actions) in settings["statements"]?.objectValue ?? [:] {
            guard let list = actions.arrayValue?.compactMap(\.stringValue) else {
                throw PluginError(code: "INVALID_SETTING", message: "plugins.organization.statements.\(resource) must be a list of actions")
            }
            statements[resource, default: []].formUnion(list)
        }
        var roles = Self.defaultRoles
        for (name, grants) in settings["roles"]?.objectValue ?? [:] {
            roles[name] = try Self.permissions(grants, within: statements, at: "plugins.organization.roles.\(name)")
        }
        self.statements = statements
        self.roles = roles
    }

    /// `{resource: [actions]}` checked against the statements.
    static func permissions(_ json: JSONValue, within statements: Permissions, at location: String) throws -> Permissions {
        guard let object = json.objectValue else { throw PluginError(code: "INVALID_SETTING", message: "\(location) must be {resource: [actions]}") }
        var out: Permissions = [:]
        for (resource, actions) in object {
            guard let list = actions.arrayValue?.compactMap(\.stringValue), let known = statements[resource], Set(list).isSubset(of: known) else {
                throw OrganizationError.invalidResource.failure
            }
            out[resource] = Set(list)
        }
        return out
    }

    /// Whether the union of `roleNames`' grants covers every action asked for.
    func allows(roleNames: [String], _ request: Permissions, dynamicRoles: [String: Permissions] = [:]) -> Bool {
        var granted: Permissions = [:]
        for name in roleNames {
            for (resource, actions) in roles[name] ?? dynamicRoles[name] ?? [:] { granted[resource, default: []].formUnion(actions) }
        }
        return request.allSatisfy { resource, actions in actions.isSubset(of: granted[resource] ?? []) }
    }

    static func roleNames(_ stored: String?) -> [String] {
        (stored ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func json(_ permissions: Permissions) -> JSONValue {
        .object(.init(uniqueKeysWithValues: permissions.sorted { $0.key < $1.key }.map { ($0.key, .array($0.value.sorted().map(JSONValue.string))) }))
    }
}
