import Foundation
import GatehouseJSON
import PluginKit

/// `plugins.admin`, with Better Auth 1.7's option names and defaults (`AdminOptions`). An unknown
/// key or a bad value refuses the plugin with a message naming the key, never the value.
struct AdminSettings: Sendable {
    /// The role of users who have none stored (new users get it through the field's
    /// `defaultSetting`, which the host reads from the same key).
    var defaultRole = "user"
    /// Users holding one of these roles are administrators, whom only `impersonate-admins` may impersonate.
    var adminRoles = ["admin"]
    /// Users granted every permission, whatever their role.
    var adminUserIDs: Set<String> = []
    /// Seconds an impersonation session lasts.
    var impersonationSessionDuration = 3600
    var defaultBanReason: String?
    /// Seconds a ban lasts when ban-user gives no `banExpiresIn`; nil: for ever.
    var defaultBanExpiresIn: Int?
    var bannedUserMessage = "You have been banned from this application. Please contact support if you believe this is an error."
    /// Better Auth's deprecated switch: impersonating administrators needs no `impersonate-admins`.
    var allowImpersonatingAdmins = false
    let accessControl: AccessControl
    /// Whether the operator configured `roles`: role assignments must then name defined roles.
    let rolesConfigured: Bool

    static let keys: Set<String> = [
        "defaultRole", "adminRoles", "adminUserIds", "impersonationSessionDuration", "defaultBanReason", "defaultBanExpiresIn",
        "bannedUserMessage", "allowImpersonatingAdmins", "roles", "statements",
    ]

    static let refusals: [String: String] = [
        "ac": "is a JavaScript access-control object: configure plugins.admin.statements and plugins.admin.roles instead",
        "schema": "is not supported: the admin fields keep Better Auth's default names",
    ]

    private static let year = 365 * 86_400

    init(_ json: JSONValue) throws {
        let reader = try PluginSettings(json, pluginID: "admin", keys: Self.keys, refusals: Self.refusals)
        accessControl = try AccessControl(reader)
        rolesConfigured = reader.value("roles") != nil
        defaultRole = try reader.string("defaultRole") ?? defaultRole
        adminRoles = try Self.roleList(reader, "adminRoles") ?? adminRoles
        let definedRoles = Set(accessControl.roles.keys.map { $0.lowercased() })
        guard adminRoles.allSatisfy({ definedRoles.contains($0.lowercased()) }) else {
            throw reader.invalid("adminRoles", "must name roles defined in plugins.admin.roles (or admin, user)")
        }
        adminUserIDs = Set(try Self.names(reader, "adminUserIds") ?? [])
        impersonationSessionDuration = try reader.int("impersonationSessionDuration", in: 1...Self.year) ?? impersonationSessionDuration
        defaultBanReason = try reader.string("defaultBanReason")
        defaultBanExpiresIn = try reader.int("defaultBanExpiresIn", in: 1...(100 * Self.year))
        bannedUserMessage = try reader.string("bannedUserMessage") ?? bannedUserMessage
        allowImpersonatingAdmins = try reader.bool("allowImpersonatingAdmins") ?? allowImpersonatingAdmins
    }

    /// A list of non-empty strings.
    private static func names(_ reader: PluginSettings, _ key: String) throws -> [String]? {
        guard let value = reader.value(key) else { return nil }
        guard let items = value.arrayValue else { throw reader.invalid(key, "must be a list of strings") }
        let names = items.compactMap(\.stringValue).filter { !$0.isEmpty }
        guard names.count == items.count else { throw reader.invalid(key, "must be a list of non-empty strings") }
        return names
    }

    /// Roles as a list or, as Better Auth also takes them, one comma-separated string.
    private static func roleList(_ reader: PluginSettings, _ key: String) throws -> [String]? {
        if let text = reader.value(key)?.stringValue { return AccessControl.roleNames(text) }
        return try names(reader, key)?.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
