import EmailSyntax
import GatehouseJSON
import GatehouseStorage
import HTTPTypes
import Metrics

/// `POST /sign-in/email`: unknown email, missing credential, wrong password and a locked account
/// (`AccountLockout`) all answer the same 401 after the same amount of hashing work. Each
/// refusal emits signIn.failed.
enum SignInRoute {
    static let endpoint = Endpoint(
        .post, "/sign-in/email", acceptsForm: true, formCSRF: true,
        body: BodySchema([
            .init("email", .string, required: true), .init("password", .string, required: true),
            .init("callbackURL", .string), .init("rememberMe", .boolean),
        ]),
        summary: "Sign in with email and password", tag: "Email and password", statuses: [.unauthorized]
    ) { ctx in
        let auth = ctx.auth
        guard auth.config.emailAndPassword.enabled else { throw CoreErrors.error("EMAIL_PASSWORD_DISABLED", .badRequest) }
        let email = (ctx.bodyString("email") ?? "").lowercased()
        guard EmailAddress.isValid(email) else { throw CoreErrors.error("INVALID_EMAIL", .badRequest) }
        let password = ctx.bodyString("password") ?? ""
        func refusal(_ error: APIError, _ outcome: String, owner: Record?) -> APIError {
            record(outcome)
            auth.store.events.signInFailed(email: email, userID: owner?.id, reason: error.code)
            return error
        }
        /// A failed password: counted towards the lockout, answered as a wrong password.
        func wrongPassword(owner: Record?) async throws -> APIError {
            if case .locked(let until) = try await auth.recordSignInFailure(email), let owner {
                try await auth.accountLocked(owner, until: until)
            }
            return refusal(CoreErrors.invalidEmailOrPassword, "invalid_credentials", owner: owner)
        }

        let lockout = try await auth.lockoutRow(email)
        let locked = AccountLockout.isLocked(lockout)
        let owner = try await auth.store.user(email: email)
        guard let user = owner, let hash = try await auth.store.credentialAccount(userID: user.id)?.string("password") else {
            await auth.passwords.verifyDummy(password)
            throw try await wrongPassword(owner: owner)
        }
        // While locked, even the right password is answered as a wrong one, after the same work.
        guard await auth.passwords.verify(password, against: hash), !locked else { throw try await wrongPassword(owner: user) }
        if auth.config.emailAndPassword.requireEmailVerification, user.bool("emailVerified") != true {
            if auth.config.emailVerification.sendOnSignIn {
                try await auth.sendVerificationEmail(to: email, user: user, callbackURL: ctx.bodyString("callbackURL"))
            }
            throw refusal(CoreErrors.error("EMAIL_NOT_VERIFIED", .forbidden), "email_not_verified", owner: user)
        }
        let session = try await auth.sessions.signIn(ctx, user: user, rememberMe: ctx.bodyBool("rememberMe") ?? true)
        // Only a row with failures needs clearing: no write on an ordinary sign-in.
        if lockout != nil { try await auth.clearLockout(email) }
        record("success")
        let callbackURL = ctx.bodyString("callbackURL")
        var response = APIResponse.json(.object(dropping: [
            ("redirect", .bool(callbackURL != nil)), ("token", .string(session.token)),
            ("url", callbackURL.map(JSONValue.string)), ("user", auth.output("user", user)),
        ]))
        if let callbackURL { response.headers[.location] = callbackURL }
        return response
    }

    private static func record(_ outcome: String) {
        Counter(label: "gatehouse_sign_in_total", dimensions: [("outcome", outcome)]).increment()
    }
}
