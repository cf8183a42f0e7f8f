import GatehouseJSON
import PluginKit

/// `POST /admin/has-permission {permissions}` → `{error: null, success}`: whether the signed-in
/// caller's roles (or `adminUserIds`) grant every action asked for. Any signed-in user may ask
/// about themselves; over HTTP Better Auth never reads `userId` or `role` from the body.
struct PermissionCheck: Sendable {
    let context: AdminContext

    func check(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        guard let asked = call.body.optional("permissions") else { throw AdminError.noPermissionsPassed.failure }
        guard let request = AccessControl.request(asked) else {
            throw AdminError.validation.failure(message: "[body.permissions] Invalid input: expected {resource: [actions]}")
        }
        return .json(["error": .null, "success": .bool(context.allows(caller.user, request))])
    }
}
