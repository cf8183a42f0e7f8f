import Foundation
import GatehouseJSON
import PluginKit

/// Better Auth's access control for the admin plugin: statements `{resource: [actions]}` and roles
/// that grant part of them. A user holds one or more roles (comma-separated in `user.role`), and
/// their grants add up.
struct AccessControl: Sendable {
    typealias Permissions = [String: Set<String>]

    static let defaultStatements: Permissions = [
        "user": ["create", "list", "set-role", "ban", "impersonate", "impersonate-admins", "delete", "set-password", "set-email", "get", "update"],
        "session": ["list", "revoke", "delete"],
    ]
    static let defaultRoles: [String: Permissions] = [
        "admin": ["user": defaultStatements["user", default: []].subtracting(["impersonate-admins"]), "session": ["list", "revoke", "delete"]],
        "user": [:],
    ]

    let statements: Permissions
    let roles: [String: Permissions]

    /// `plugins.admin.statements` adds resources and actions to Better Auth's; `plugins.admin.roles`
    /// adds roles, or replaces `admin` and `user` when it names them.
    init(_ settings: PluginSettings) throws {
        if let value = settings.value("statements"), value.objectValue == nil {
            throw settings.invalid("statements", "must be {resource: [actions]}")
        }
        if let value = settings.value("roles"), value.objectValue == nil { throw settings.invalid("roles", "must be {role: {resource: [actions]}}") }
        var statements = Self.defaultStatements
        for (resource, actions) in settings.value("statements")?.objectValue ?? [:] {
            guard let list = Self.names(actions) else { throw settings.invalid("statements.\(resource)", "must be a list of action names") }
            statements[resource, default: []].formUnion(list)
        }
        var roles = Self.defaultRoles
        for (name, grants) in settings.value("roles")?.objectValue ?? [:] {
            guard !name.isEmpty, !name.contains(","), let object = grants.objectValue else {
                throw settings.invalid("roles", "must map role names without commas to {resource: [actions]}")
            }
            var permissions: Permissions = [:]
            for (resource, actions) in object {
                guard let list = Self.names(actions), let known = statements[resource], Set(list).isSubset(of: known) else {
                    throw settings.invalid("roles.\(name).\(resource)", "must list actions of a statement (plugins.admin.statements)")
                }
                permissions[resource] = Set(list)
            }
            roles[name] = permissions
        }
        self.statements = statements
        self.roles = roles
    }

    /// Whether the union of `roleNames`' grants covers every action asked for. An empty request,
    /// or a resource asked for with no action, is not granted (Better Auth's `authorize`).
    func grants(_ roleNames: [String], _ request: Permissions) -> Bool {
        guard !request.isEmpty else { return false }
        var granted: Permissions = [:]
        for name in roleNames {
            for (resource, actions) in roles[name] ?? [:] { granted[resource, default: []].formUnion(actions) }
        }
        return request.allSatisfy { resource, actions in !actions.isEmpty && actions.isSubset(of: granted[resource] ?? []) }
    }

    /// A client's `{resource: [actions]}`, else nil.
    static func request(_ json: JSONValue) -> Permissions? {
        guard let object = json.objectValue else { return nil }
        var out: Permissions = [:]
        for (resource, actions) in object {
            guard let list = names(actions) else { return nil }
            out[resource] = Set(list)
        }
        return out
    }

    /// The roles in a stored `user.role`: comma-separated, blanks dropped.
    static func roleNames(_ stored: String?) -> [String] {
        (stored ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func names(_ json: JSONValue) -> [String]? {
        guard let items = json.arrayValue else { return nil }
        let names = items.compactMap(\.stringValue)
        return names.count == items.count ? names : nil
    }
}
