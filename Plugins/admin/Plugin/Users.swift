import EmailSyntax
import GatehouseJSON
import PluginKit

/// Creating, reading, removing users and setting their passwords (`/admin/create-user`,
/// `get-user`, `remove-user`, `set-user-password`).
struct Users: Sendable {
    let context: AdminContext
    let bans: Bans

    static let banFields: Set<String> = ["banned", "banReason", "banExpires"]

    /// `POST /admin/create-user {email, password?, name, role?, data?}` → `{user}`. Without a
    /// password the user gets no credential account (magic link or social users).
    func create(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try context.authorize(call, ["user": ["create"]], else: .notAllowedToCreateUsers)
        var data = call.body.optional("data")?.objectValue ?? [:]
        // The host makes these, as Better Auth's adapter does (a chosen id could be one of `adminUserIds`).
        for generated in ["id", "createdAt", "updatedAt"] { data.removeValue(forKey: generated) }
        // `data.role` is a role assignment like `role`, never a way around set-role.
        let dataRole = data.removeValue(forKey: "role")?.nonNull
        let requestedRole = call.body.optional("role") ?? dataRole
        var role = context.settings.defaultRole
        if let requestedRole {
            try context.require(caller, ["user": ["set-role"]], else: .notAllowedToChangeRole)
            role = try RoleAssignment(requestedRole, settings: context.settings).stored
        }
        let setsBan = !Self.banFields.isDisjoint(with: data.keys)
        if setsBan { try context.require(caller, ["user": ["ban"]], else: .notAllowedToBan) }
        let email = try call.body.requiredText("email").lowercased()
        guard EmailAddress.isValid(email) else { throw AdminError.invalidEmail.failure }
        let password = call.body.optional("password")?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if let password { try context.host.checkNewPassword(password) }
        guard try context.host.call("users.find", ["email": .string(email)])["user"]?.nonNull == nil else {
            throw AdminError.userAlreadyExists.failure
        }
        data["email"] = .string(email)
        data["name"] = .string(try call.body.requiredText("name"))
        data["role"] = .string(role)
        guard var user = try context.host.call("users.create", ["data": .object(data)])["user"]?.nonNull,
              let id = user["id"]?.stringValue
        else { throw AdminError.failedToCreateUser.failure }
        do {
            if let password { try resetPassword(password, of: id) }
            if setsBan { user = try bans.enforce(user) }
        } catch {
            // No half-made user: without its password or its ban it is taken back.
            _ = try? context.host.call("users.delete", ["id": .string(id)])
            throw error
        }
        context.announce("admin.user.created", caller, userID: id)
        if requestedRole != nil { context.announce("admin.user.role.set", caller, userID: id, [("role", .string(role))]) }
        if setsBan { bans.announce([:], user, by: caller) }
        return .json(["user": user])
    }

    /// `GET /admin/get-user?id` → the user itself.
    func get(_ call: PluginCall) throws -> PluginAnswer {
        try context.authorize(call, ["user": ["get"]], else: .notAllowedToGetUser)
        guard let id = call.query("id"), !id.isEmpty else {
            throw AdminError.validation.failure(message: "[query.id] Invalid input: expected string, received undefined")
        }
        return .json(try context.existingUser(id))
    }

    /// `POST /admin/remove-user {userId}` → `{success: true}`: the user, its sessions and accounts
    /// (and every row that references it) are gone.
    func remove(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try context.authorize(call, ["user": ["delete"]], else: .notAllowedToDelete)
        let id = try call.body.requiredText("userId")
        guard id != caller.userID else { throw AdminError.cannotRemoveYourself.failure }
        _ = try context.existingUser(id)
        guard try context.host.call("users.delete", ["id": .string(id)])["deleted"]?.boolValue == true else {
            throw AdminError.userNotFound.failure
        }
        context.announce("admin.user.removed", caller, userID: id)
        return .json(["success": true])
    }

    /// `POST /admin/set-user-password {userId, newPassword}` → `{status: true}`. A user without a
    /// password gets a credential account; the core's reset rules apply (sessions revoked under
    /// `revokeSessionsOnPasswordReset`).
    func setPassword(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try context.authorize(call, ["user": ["set-password"]], else: .notAllowedToSetPassword)
        let password = try call.body.requiredText("newPassword")
        let id = try call.body.requiredText("userId")
        try context.host.checkNewPassword(password)
        _ = try context.existingUser(id)
        try resetPassword(password, of: id)
        context.announce("admin.user.password.set", caller, userID: id)
        return .json(["status": true])
    }

    /// The host's password reset: hash, credential account made when missing, `password.reset`.
    private func resetPassword(_ password: String, of id: String) throws {
        do {
            _ = try context.host.call("users.resetPassword", ["userId": .string(id), "password": .string(password)])
        } catch let failure as PluginError {
            if failure.status == 400 { throw failure }  // the core's refusal of the password
            // The user went away meanwhile, or is one no password may reach (an anonymous user).
            guard failure.code == AdminError.userNotFound.rawValue else { throw failure }
            throw AdminError.userNotFound.failure
        }
    }
}
