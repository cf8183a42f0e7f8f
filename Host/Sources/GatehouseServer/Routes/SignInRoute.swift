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

        let check = try await auth.checkPasswordSignIn(owner: try await auth.store.user(email: email), lockoutKey: email, password: password)
        guard check.verified, let user = check.owner else {
            throw refusal(CoreErrors.invalidEmailOrPassword, "invalid_credentials", owner: check.owner)
        }
        if auth.config.emailAndPassword.requireEmailVerification, user.bool("emailVerified") != true {
            if auth.config.emailVerification.sendOnSignIn {
                try await auth.sendVerificationEmail(to: email, user: user, callbackURL: ctx.bodyString("callbackURL"))
            }
            throw refusal(CoreErrors.error("EMAIL_NOT_VERIFIED", .forbidden), "email_not_verified", owner: user)
        }
        let session = try await auth.sessions.signIn(ctx, user: user, rememberMe: ctx.bodyBool("rememberMe") ?? true)
        // Only a row with failures needs clearing: no write on an ordinary sign-in.
        if check.hadFailures { try await auth.clearLockout(email) }
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
