import EmailSyntax
import GatehouseJSON
import GatehousePluginABI
import GatehouseStorage

/// The host operation `passwords.verifySignIn {userId?, identifier, password}` (1.8 host): a
/// plugin's own password sign-in (the username plugin's) checked as `/sign-in/email` checks one,
/// under the same account lockout. A known user's failures count on the account's own counter,
/// shared with every other password route; without a user (or a password) the attempt counts on
/// `identifier` (the username tried) and costs the same hashing work, so answers never tell which
/// identifiers exist or are locked. A known user's failure is also the host event `signIn.failed`.
/// Answers `{verified}`: true only for the right password of an account that is not locked,
/// which also ends any count.
///
/// The form `{email, password}` (1.10 host) is `/sign-in/email` without the session: the same
/// check (`checkPasswordSignIn`), `signIn.failed` with the address tried for every refusal, and
/// `requireEmailVerification`; it answers `{verified: true, userId}` or `{verified: false}`.
enum PasswordSignInOperation {
    static let name = "passwords.verifySignIn"

    static func run(_ input: JSONValue, host: PluginHostContext, auth: AuthContext) async throws -> JSONValue {
        if input["identifier"] == nil, let email = input["email"]?.stringValue {
            return try await signIn(email: email.lowercased(), password: try HostOperations.required(input, "password"), auth: auth)
        }
        let identifier = try HostOperations.required(input, "identifier")
        let password = try HostOperations.required(input, "password")
        var user: Record?
        if let id = input["userId"]?.stringValue { user = try await auth.store.user(id: id) }
        // A space never appears in an unquoted address: these keys cannot be anyone's e-mail.
        let key = user?.string("email") ?? "\(host.pluginID) \(identifier)"
        let check = try await auth.checkPasswordSignIn(owner: user, lockoutKey: key, password: password)
        guard check.verified else {
            // As /sign-in/email reports its failures; an unknown identifier has no address to name.
            if let user, let email = user.string("email") {
                auth.store.events.signInFailed(email: email, userID: user.id, reason: "INVALID_PASSWORD")
            }
            return ["verified": false]
        }
        if check.hadFailures { try await auth.clearLockout(key) }
        return ["verified": true]
    }

    private static func signIn(email: String, password: String, auth: AuthContext) async throws -> JSONValue {
        guard auth.config.emailAndPassword.enabled else {
            throw HostOperations.Failure(status: GH_DENIED, code: "EMAIL_PASSWORD_DISABLED", message: "Email and password sign-in is disabled",
                                         extra: [("status", 400)])
        }
        guard EmailAddress.isValid(email) else {
            throw HostOperations.Failure(status: GH_INVALID, code: "INVALID_EMAIL", message: "Invalid email", extra: [("status", 400)])
        }
        let check = try await auth.checkPasswordSignIn(owner: try await auth.store.user(email: email), lockoutKey: email, password: password)
        guard check.verified, let user = check.owner else {
            auth.store.events.signInFailed(email: email, userID: check.owner?.id, reason: CoreErrors.invalidEmailOrPassword.code)
            return ["verified": false]
        }
        if auth.config.emailAndPassword.requireEmailVerification, user.bool("emailVerified") != true {
            auth.store.events.signInFailed(email: email, userID: user.id, reason: "EMAIL_NOT_VERIFIED")
            throw HostOperations.Failure(status: GH_DENIED, code: "EMAIL_NOT_VERIFIED", message: "Email not verified", extra: [("status", 403)])
        }
        if check.hadFailures { try await auth.clearLockout(email) }
        return ["verified": true, "userId": .string(user.id)]
    }
}
