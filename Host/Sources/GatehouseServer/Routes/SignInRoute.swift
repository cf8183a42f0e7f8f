import EmailSyntax
import GatehouseJSON
import GatehouseStorage
import HTTPTypes
import Metrics

/// `POST /sign-in/email`: unknown email, missing credential and wrong password all answer
/// the same 401 after the same amount of hashing work. Each refusal emits signIn.failed.
enum SignInRoute {
    static let endpoint = Endpoint(
        .post, "/sign-in/email", acceptsForm: true, formCSRF: true,
        body: BodySchema([
            .init("email", .string, required: true), .init("password", .string, required: true),
            .init("callbackURL", .string), .init("rememberMe", .boolean),
        ]),
        summary: "Sign in with email and password", tag: "Email and password"
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

        let owner = try await auth.store.user(email: email)
        guard let user = owner, let hash = try await auth.store.credentialAccount(userID: user.id)?.string("password") else {
            await auth.passwords.verifyDummy(password)
            throw refusal(CoreErrors.invalidEmailOrPassword, "invalid_credentials", owner: owner)
        }
        guard await auth.passwords.verify(password, against: hash) else {
            throw refusal(CoreErrors.invalidEmailOrPassword, "invalid_credentials", owner: user)
        }
        if auth.config.emailAndPassword.requireEmailVerification, user.bool("emailVerified") != true {
            if auth.config.emailVerification.sendOnSignIn {
                try await auth.sendVerificationEmail(to: email, user: user, callbackURL: ctx.bodyString("callbackURL"))
            }
            throw refusal(CoreErrors.error("EMAIL_NOT_VERIFIED", .forbidden), "email_not_verified", owner: user)
        }
        let session = try await auth.sessions.signIn(ctx, user: user, rememberMe: ctx.bodyBool("rememberMe") ?? true)
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
