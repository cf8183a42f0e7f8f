import GatehouseJSON
import PluginKit

/// The roles a request assigns: one role, several comma-separated, or an array of them. Stored
/// comma-joined in `user.role`, as Better Auth stores them.
struct RoleAssignment: Sendable {
    let names: [String]

    var stored: String { names.joined(separator: ",") }

    /// 400 `INVALID_ROLE_TYPE` for anything but strings, or no role at all; with `roles`
    /// configured, 400 `YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE` for a role it does not define.
    init(_ value: JSONValue, settings: AdminSettings) throws {
        let items = value.arrayValue ?? [value]
        var names: [String] = []
        for item in items {
            guard let text = item.stringValue else { throw AdminError.invalidRoleType.failure }
            names += AccessControl.roleNames(text)
        }
        guard !names.isEmpty else { throw AdminError.invalidRoleType.failure("name at least one role") }
        if settings.rolesConfigured, names.contains(where: { settings.accessControl.roles[$0] == nil }) {
            throw AdminError.nonExistentRole.failure
        }
        self.names = names
    }
}
