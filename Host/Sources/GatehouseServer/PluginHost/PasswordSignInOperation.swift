import GatehouseJSON
import GatehouseStorage

/// The host operation `passwords.verifySignIn {userId?, identifier, password}` (1.8 host): a
/// plugin's own password sign-in (the username plugin's) checked as `/sign-in/email` checks one,
/// under the same account lockout. A known user's failures count on the account's own counter,
/// shared with every other password route; without a user (or a password) the attempt counts on
/// `identifier` (the username tried) and costs the same hashing work, so answers never tell which
/// identifiers exist or are locked. A known user's failure is also the host event `signIn.failed`.
/// Answers `{verified}`: true only for the right password of an account that is not locked,
/// which also ends any count.
enum PasswordSignInOperation {
    static let name = "passwords.verifySignIn"

    static func run(_ input: JSONValue, host: PluginHostContext, auth: AuthContext) async throws -> JSONValue {
        let identifier = try HostOperations.required(input, "identifier")
        let password = try HostOperations.required(input, "password")
        var user: Record?
        if let id = input["userId"]?.stringValue { user = try await auth.store.user(id: id) }
        // A space never appears in an unquoted address: these keys cannot be anyone's e-mail.
        let key = user?.string("email") ?? "\(host.pluginID) \(identifier)"
        let lockout = try await auth.lockoutRow(key)
        var verified = false
        if let user, let hash = try await auth.store.credentialAccount(userID: user.id)?.string("password") {
            verified = await auth.passwords.verify(password, against: hash)
        } else {
            await auth.passwords.verifyDummy(password)
        }
        guard verified, !AccountLockout.isLocked(lockout) else {
            if case .locked(let until) = try await auth.recordSignInFailure(key), let user { try await auth.accountLocked(user, until: until) }
            // As /sign-in/email reports its failures; an unknown identifier has no address to name.
            if let user, let email = user.string("email") {
                auth.store.events.signInFailed(email: email, userID: user.id, reason: "INVALID_PASSWORD")
            }
            return ["verified": false]
        }
        if lockout != nil { try await auth.clearLockout(key) }
        return ["verified": true]
    }
}
