import Foundation
import GatehouseCrypto
import GatehouseJSON
import GatehouseStorage

/// Password reset by email, password checks and changes.
enum PasswordRoutes {
    static var endpoints: [Endpoint] { [requestReset, resetCallback, resetPassword, verifyPassword, changePassword] }

    static let resetMessage = "If this email exists in our system, check your email for the reset link"

    static let requestReset = Endpoint(
        .post, "/request-password-reset",
        body: BodySchema([.init("email", .string, required: true), .init("redirectTo", .string)]),
        summary: "Email a password-reset link (same answer whether or not the email exists)", tag: "Password"
    ) { ctx in
        let auth = ctx.auth
        guard auth.canSendEmail else { throw CoreErrors.error("RESET_PASSWORD_DISABLED", .badRequest) }
        let address = (ctx.bodyString("email") ?? "").lowercased()
        let token = RandomIdentifier.generate(length: 24)
        // A user no mail reaches (an anonymous placeholder) is answered as an unknown address.
        if let user = try await auth.store.user(email: address), !auth.refusesEmail(user) {
            let expires = Date().addingTimeInterval(TimeInterval(auth.config.emailAndPassword.resetPasswordTokenExpiresIn))
            try await auth.store.createVerification(identifier: "reset-password:\(token)", value: user.id, expiresAt: expires)
            let url = auth.endpointURL("/reset-password/\(token)") + "?callbackURL=" + URIComponent.encode(ctx.bodyString("redirectTo") ?? "")
            try await auth.deliverEmail(kind: "reset-password", to: address, url: url, token: token, context: auth.templateContext(user))
        } else {
            // The same database round trip an existing user costs, so timing reveals nothing.
            _ = try await auth.store.verification(identifier: "reset-password:\(token)")
        }
        return .json(["status": true, "message": .string(resetMessage)])
    }

    static let resetCallback = Endpoint(
        .get, "/reset-password/:token", query: BodySchema([.init("callbackURL", .string, required: true)]),
        summary: "Follow a reset link: redirects to callbackURL with the token or an error", tag: "Password", statuses: [.found]
    ) { ctx in
        let token = ctx.params["token"] ?? ""
        let callbackURL = ctx.query["callbackURL"] ?? "/"
        guard !token.isEmpty, try await ctx.auth.store.verification(identifier: "reset-password:\(token)") != nil else {
            return .redirect(AuthContext.appending(callbackURL, "error", "INVALID_TOKEN"))
        }
        return .redirect(AuthContext.appending(callbackURL, "token", token))
    }

    static let resetPassword = Endpoint(
        .post, "/reset-password",
        body: BodySchema([.init("newPassword", .string, required: true), .init("token", .string)]),
        summary: "Set a new password with a reset token (single use)", tag: "Password"
    ) { ctx in
        let auth = ctx.auth
        guard let token = ctx.bodyString("token") ?? ctx.query["token"], !token.isEmpty else { throw CoreErrors.invalidToken }
        let password = ctx.bodyString("newPassword") ?? ""
        try await auth.checkNewPassword(password)
        guard let userID = try await auth.store.consumeVerification(identifier: "reset-password:\(token)") else {
            throw CoreErrors.invalidToken
        }
        guard let user = try await auth.store.user(id: userID) else { throw CoreErrors.userNotFound }
        try await auth.resetPassword(of: user, to: password)
        return .json(["status": true])
    }

    static let verifyPassword = Endpoint(
        .post, "/verify-password", auth: .sensitiveSession, body: BodySchema([.init("password", .string, required: true)]),
        summary: "Check the signed-in user's password", tag: "Password"
    ) { ctx in
        let session = try await ctx.requireSession(sensitive: true)
        guard let hash = try await ctx.auth.store.credentialAccount(userID: session.userID)?.string("password"),
            await ctx.auth.passwords.verify(ctx.bodyString("password") ?? "", against: hash)
        else { throw CoreErrors.invalidPassword }
        return .json(["status": true])
    }

    static let changePassword = Endpoint(
        .post, "/change-password", auth: .sensitiveSession,
        body: BodySchema([
            .init("newPassword", .string, required: true), .init("currentPassword", .string, required: true),
            .init("revokeOtherSessions", .boolean),
        ]),
        summary: "Change the password, optionally revoking every other session", tag: "Password"
    ) { ctx in
        let auth = ctx.auth
        let session = try await ctx.requireSession(sensitive: true)
        let newPassword = ctx.bodyString("newPassword") ?? ""
        try await auth.checkNewPassword(newPassword)
        guard let hash = try await auth.store.credentialAccount(userID: session.userID)?.string("password") else {
            throw CoreErrors.error("CREDENTIAL_ACCOUNT_NOT_FOUND", .badRequest)
        }
        guard await auth.passwords.verify(ctx.bodyString("currentPassword") ?? "", against: hash) else { throw CoreErrors.invalidPassword }
        let newHash = try await auth.passwords.hash(newPassword)
        let revoke = ctx.bodyBool("revokeOtherSessions") == true
        try await auth.store.transaction(in: auth.database) { store in
            try await store.setPassword(userID: session.userID, hash: newHash)
            if revoke { try await store.deleteSessions(userID: session.userID) }
        }
        auth.store.events.emit(.passwordChanged, user: session.user)
        var token: JSONValue = .null
        if revoke {
            let fresh = try await auth.sessions.signIn(ctx, user: session.user, rememberMe: !auth.sessions.isDontRemember(ctx))
            token = .string(fresh.token)
        }
        return .json(["token": token, "user": auth.output("user", session.user)])
    }
}

extension AuthContext {
    /// Sets a proven user's new password (`checkNewPassword` passed): the credential account, made
    /// when the user has none, every session ended under `revokeSessionsOnPasswordReset`, and
    /// `password.reset`. The core's reset link and plugins' proofs (`users.resetPassword`) end here.
    /// Answers whether the sessions were ended.
    @discardableResult
    func resetPassword(of user: Record, to password: String) async throws -> Bool {
        let hash = try await passwords.hash(password)
        let revoke = config.emailAndPassword.revokeSessionsOnPasswordReset
        try await store.transaction(in: database) { store in
            try await store.setPassword(userID: user.id, hash: hash)
            if revoke { try await store.deleteSessions(userID: user.id) }
        }
        store.events.emit(.passwordReset, user: user)
        // Whoever proved the address may sign in again at once.
        if let email = user.string("email") { try await clearLockout(email) }
        return revoke
    }
}
