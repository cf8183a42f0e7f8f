import EmailSyntax
import Foundation
import GatehouseCrypto
import GatehouseJSON
import GatehouseStorage

/// `POST /sign-up/email`.
enum SignUpRoute {
    static let reserved: Set<String> = ["name", "email", "password", "image", "callbackURL", "rememberMe"]

    static let endpoint = Endpoint(
        .post, "/sign-up/email", acceptsForm: true, formCSRF: true,
        body: BodySchema([
            .init("name", .string, required: true), .init("email", .string, required: true),
            .init("password", .string, required: true), .init("image", .string, nullable: true),
            .init("callbackURL", .string), .init("rememberMe", .boolean),
        ]),
        summary: "Sign up a user with email and password", tag: "Email and password", statuses: [.unprocessableContent]
    ) { ctx in
        let auth = ctx.auth
        let options = auth.config.emailAndPassword
        guard options.enabled, !options.disableSignUp else { throw CoreErrors.error("EMAIL_PASSWORD_SIGN_UP_DISABLED", .badRequest) }
        let email = (ctx.bodyString("email") ?? "").lowercased()
        guard EmailAddress.isValid(email) else { throw CoreErrors.error("INVALID_EMAIL", .badRequest) }
        let password = ctx.bodyString("password") ?? ""
        try await auth.checkNewPassword(password)
        var data = try auth.inputFields("user", from: ctx.body, reserved: reserved, creating: true)
        data["name"] = .string(ctx.bodyString("name") ?? "")
        data["email"] = .string(email)
        data["image"] = ctx.body["image"]?.stringValue.map(DBValue.string) ?? .null

        // When sign-up does not sign in, a taken email must look like a fresh sign-up.
        let genericAnswer = options.requireEmailVerification || !options.autoSignIn
        if try await auth.store.user(email: email) != nil {
            _ = try await auth.passwords.hash(password)
            guard genericAnswer else { throw CoreErrors.error("USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", .unprocessable) }
            var synthetic = data
            synthetic["id"] = .string(RandomIdentifier.generate())
            synthetic["emailVerified"] = .bool(false)
            synthetic["createdAt"] = .date(Date())
            synthetic["updatedAt"] = .date(Date())
            return .json(["token": .null, "user": auth.output("user", synthetic)])
        }

        let hash = try await auth.passwords.hash(password)
        let newUser = data
        let rememberMe = ctx.bodyBool("rememberMe") ?? true
        let signsIn = options.autoSignIn && !options.requireEmailVerification
        let client = auth.sessions.client(of: ctx)
        let user: Record
        let session: AuthSession?
        do {
            // User, credential account and session commit together: a crash leaves all or none.
            (user, session) = try await auth.store.transaction(in: auth.database) { store in
                let user = try await store.createUser(newUser)
                try await store.setPassword(userID: user.id, hash: hash)
                return (user, signsIn ? try await auth.sessions.createSession(for: user, rememberMe: rememberMe, client: client, in: store) : nil)
            }
        } catch let error as APIError {
            throw error
        } catch let error as DatabaseUnavailable {
            throw error
        } catch let error as DatabaseRejectedValue {
            throw error
        } catch {
            // A concurrent sign-up with the same email loses on the unique index.
            if try await auth.store.user(email: email) != nil {
                throw CoreErrors.error("USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", .unprocessable)
            }
            auth.logger.error("sign-up failed", metadata: ["error": "\(error)"])
            throw CoreErrors.error("FAILED_TO_CREATE_USER", .unprocessable)
        }

        if auth.config.emailVerification.sendOnSignUp || options.requireEmailVerification {
            try await auth.sendVerificationEmail(to: email, user: user, callbackURL: ctx.bodyString("callbackURL"))
        }
        guard let session else { return .json(["token": .null, "user": auth.output("user", user)]) }
        auth.sessions.establish(ctx, session, rememberMe: rememberMe)
        return .json(["token": .string(session.token), "user": auth.output("user", user)])
    }
}
