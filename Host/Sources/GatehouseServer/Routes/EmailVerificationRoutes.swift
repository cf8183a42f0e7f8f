import Foundation
import GatehouseCrypto
import GatehouseJSON
import GatehouseStorage

/// send-verification-email, verify-email and change-email.
enum EmailVerificationRoutes {
    static var endpoints: [Endpoint] { [sendVerification, verifyEmail, changeEmail] }

    static let sendVerification = Endpoint(
        .post, "/send-verification-email",
        body: BodySchema([.init("email", .string, required: true), .init("callbackURL", .string)]),
        summary: "Send (again) the email-verification link", tag: "Email verification"
    ) { ctx in
        let auth = ctx.auth
        guard auth.canSendEmail else { throw CoreErrors.error("VERIFICATION_EMAIL_NOT_ENABLED", .badRequest) }
        let address = (ctx.bodyString("email") ?? "").lowercased()
        let callbackURL = ctx.bodyString("callbackURL")
        if let session = try await ctx.currentSession() {
            guard session.user.string("email") == address else { throw CoreErrors.error("EMAIL_MISMATCH", .badRequest) }
            guard session.user.bool("emailVerified") != true else { throw CoreErrors.error("EMAIL_ALREADY_VERIFIED", .badRequest) }
            try await auth.sendVerificationEmail(to: address, user: session.user, callbackURL: callbackURL)
            return .json(["status": true])
        }
        // Without a session the answer is the same, and takes at least 500 ms, whatever the email.
        let started = Date()
        if let user = try await auth.store.user(email: address), user.bool("emailVerified") != true {
            try await auth.sendVerificationEmail(to: address, user: user, callbackURL: callbackURL)
        }
        let remaining = 0.5 - Date().timeIntervalSince(started)
        if remaining > 0 { try await Task.sleep(for: .milliseconds(Int(remaining * 1000))) }
        return .json(["status": true])
    }

    static let verifyEmail = Endpoint(
        .get, "/verify-email",
        query: BodySchema([.init("token", .string, required: true), .init("callbackURL", .string)]),
        summary: "Verify an email address (or confirm an email change) with a token", tag: "Email verification",
        statuses: [.found, .unauthorized]
    ) { ctx in
        let callbackURL = ctx.query["callbackURL"]
        do {
            return try await verify(ctx, callbackURL: callbackURL)
        } catch let error as APIError where callbackURL != nil {
            return .redirect(AuthContext.appending(callbackURL!, "error", error.code))
        }
    }

    private static func verify(_ ctx: EndpointContext, callbackURL: String?) async throws -> APIResponse {
        let auth = ctx.auth
        let claims: AuthContext.VerificationClaims
        do {
            claims = try await auth.tokens.verify(ctx.query["token"] ?? "", as: AuthContext.VerificationClaims.self)
        } catch .expired {
            throw CoreErrors.error("TOKEN_EXPIRED", .unauthorized)
        } catch {
            throw CoreErrors.error("INVALID_TOKEN", .unauthorized)
        }
        guard let user = try await auth.store.user(email: claims.email) else { throw CoreErrors.error("USER_NOT_FOUND", .unauthorized) }
        let done: (JSONValue) -> APIResponse = { userJSON in
            callbackURL.map(APIResponse.redirect) ?? .json(["status": true, "user": userJSON])
        }

        if let newEmail = claims.updateTo {
            // An email change is only ever completed by the user who asked for it.
            guard let session = try await ctx.currentSession() else { throw CoreErrors.unauthorized }
            guard session.userID == user.id else { throw CoreErrors.error("INVALID_USER", .unauthorized) }
            if claims.requestType == "change-email-confirmation" {
                // The old address approved the change: now prove the new one.
                try await auth.sendVerificationEmail(to: newEmail, user: user, callbackURL: callbackURL, updateTo: newEmail,
                                                     requestType: "change-email-verification")
                return done(.null)
            }
            guard try await auth.store.user(email: newEmail) == nil else { throw CoreErrors.error("USER_ALREADY_EXISTS", .badRequest) }
            guard let updated = try await auth.store.updateUser(id: user.id, ["email": .string(newEmail.lowercased()), "emailVerified": .bool(true)]) else {
                throw CoreErrors.userNotFound
            }
            auth.store.events.emit(.emailVerified, user: updated)
            auth.sessions.setCookies(ctx, AuthSession(session: session.session, user: updated), rememberMe: !auth.sessions.isDontRemember(ctx))
            return done(auth.output("user", updated))
        }

        if user.bool("emailVerified") != true, let verified = try await auth.store.updateUser(id: user.id, ["emailVerified": .bool(true)]) {
            auth.store.events.emit(.emailVerified, user: verified)
        }
        if auth.config.emailVerification.autoSignInAfterVerification, try await ctx.currentSession()?.userID != user.id {
            var verified = user
            verified["emailVerified"] = .bool(true)
            try await auth.sessions.signIn(ctx, user: verified)
        }
        return done(.null)
    }

    static let changeEmail = Endpoint(
        .post, "/change-email", auth: .sensitiveSession,
        body: BodySchema([.init("newEmail", .email, required: true), .init("callbackURL", .string)]),
        summary: "Change the user's email (verified by email unless allowed directly)", tag: "User"
    ) { ctx in
        let auth = ctx.auth
        guard auth.config.user.changeEmailEnabled else { throw CoreErrors.error("CHANGE_EMAIL_DISABLED", .badRequest) }
        let session = try await ctx.requireSession(sensitive: true)
        let newEmail = (ctx.bodyString("newEmail") ?? "").lowercased()
        guard newEmail != session.user.string("email") else { throw CoreErrors.error("EMAIL_IS_THE_SAME", .badRequest) }
        // A taken address answers like a free one, so the endpoint cannot probe for accounts.
        guard try await auth.store.user(email: newEmail) == nil else { return .json(["status": true]) }
        let verified = session.user.bool("emailVerified") == true
        if !verified, auth.config.user.updateEmailWithoutVerification {
            guard let updated = try await auth.store.updateUser(id: session.userID, ["email": .string(newEmail)]) else {
                throw CoreErrors.userNotFound
            }
            auth.sessions.setCookies(ctx, AuthSession(session: session.session, user: updated), rememberMe: !auth.sessions.isDontRemember(ctx))
            return .json(["status": true])
        }
        guard auth.canSendEmail else { throw CoreErrors.error("VERIFICATION_EMAIL_NOT_ENABLED", .badRequest) }
        let callbackURL = ctx.bodyString("callbackURL")
        if verified {
            try await auth.sendVerificationEmail(to: session.user.string("email") ?? "", user: session.user, callbackURL: callbackURL,
                                                 updateTo: newEmail, requestType: "change-email-confirmation")
        } else {
            try await auth.sendVerificationEmail(to: newEmail, user: session.user, callbackURL: callbackURL, updateTo: newEmail,
                                                 requestType: "change-email-verification")
        }
        return .json(["status": true])
    }
}
