import EmailSyntax
import GatehouseJSON
import PluginKit

/// Changing users: `/admin/update-user` and `/admin/set-role`. Each field that needs more than
/// `user:update` is checked before anything is written, as Better Auth checks it.
struct UserUpdates: Sendable {
    let context: AdminContext
    let bans: Bans

    /// `POST /admin/set-role {userId, role}` → `{user}`; `role` is a string or an array of strings.
    func setRole(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try context.authorize(call, ["user": ["set-role"]], else: .notAllowedToChangeRole)
        guard let value = call.body.optional("role") else {
            throw AdminError.validation.failure(message: "[body.role] Invalid input: expected string or array, received undefined")
        }
        let role = try RoleAssignment(value, settings: context.settings)
        let id = try call.body.requiredText("userId")
        _ = try context.existingUser(id)
        let user = try context.updateUser(id, ["role": .string(role.stored)])
        context.announce("admin.user.role.set", caller, userID: id, [("role", .string(role.stored))])
        return .json(["user": user])
    }

    /// `POST /admin/update-user {userId, data}` → the user itself. `role` needs `user:set-role`,
    /// ban fields `user:ban`, `email` and `emailVerified` `user:set-email`; a password is never
    /// set here.
    func update(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try context.authorize(call, ["user": ["update"]], else: .notAllowedToUpdate)
        let id = try call.body.requiredText("userId")
        var data = call.body["data"]?.objectValue ?? [:]
        guard !data.isEmpty else { throw AdminError.noDataToUpdate.failure }
        guard data["password"] == nil else { throw AdminError.passwordViaUpdateUser.failure }
        guard data["id"] == nil else { throw AdminError.validation.failure(message: "[body.data.id] A user's id cannot be changed") }
        if let role = data["role"] {
            try context.require(caller, ["user": ["set-role"]], else: .notAllowedToChangeRole)
            data["role"] = .string(try RoleAssignment(role, settings: context.settings).stored)
        }
        let setsBan = !Users.banFields.isDisjoint(with: data.keys)
        if setsBan {
            try context.require(caller, ["user": ["ban"]], else: .notAllowedToBan)
            if data["banned"]?.boolValue == true, id == caller.userID { throw AdminError.cannotBanYourself.failure }
        }
        if data["email"] != nil || data["emailVerified"] != nil {
            try context.require(caller, ["user": ["set-email"]], else: .notAllowedToSetEmail)
        }
        if let value = data["email"] {
            data["email"] = .string(try freeAddress(value, for: id))
        }
        let before = try context.existingUser(id)
        let user = setsBan ? try bans.update(before, .object(data)) : try context.updateUser(id, .object(data))
        context.announce("admin.user.updated", caller, userID: id, [("fields", .array(data.keys.map(JSONValue.string)))])
        if let role = data["role"]?.stringValue { context.announce("admin.user.role.set", caller, userID: id, [("role", .string(role))]) }
        if setsBan { bans.announce(before, user, by: caller) }
        return .json(user)
    }

    /// `email` lower-cased, once it is an address no other user has.
    private func freeAddress(_ value: JSONValue, for id: String) throws -> String {
        guard let email = value.stringValue?.lowercased(), EmailAddress.isValid(email) else { throw AdminError.invalidEmail.failure }
        if let owner = try context.host.call("users.find", ["email": .string(email)])["user"]?.nonNull, owner["id"]?.stringValue != id {
            throw AdminError.userAlreadyExists.failure
        }
        return email
    }
}
