import Foundation
import GatehouseCrypto
import GatehouseJSON
import GatehouseStorage

/// update-user, delete-user and its email-confirmation callback.
enum UserRoutes {
    static var endpoints: [Endpoint] { [updateUser, deleteUser, deleteCallback] }

    static let updateUser = Endpoint(
        .post, "/update-user", auth: .session,
        body: BodySchema([.init("name", .string), .init("image", .string, nullable: true)]),
        summary: "Update the user's profile fields", tag: "User"
    ) { ctx in
        let auth = ctx.auth
        let session = try await ctx.requireSession()
        if ctx.body["email"] != nil { throw CoreErrors.error("EMAIL_CAN_NOT_BE_UPDATED", .badRequest) }
        let changes = try auth.inputFields("user", from: ctx.body, reserved: ["email", "createdAt", "updatedAt"])
        guard !changes.fields.isEmpty else { throw CoreErrors.noFieldsToUpdate }
        guard let updated = try await auth.store.updateUser(id: session.userID, changes) else { throw CoreErrors.userNotFound }
        if auth.config.session.cookieCacheEnabled {
            auth.sessions.setCookies(ctx, AuthSession(session: session.session, user: updated), rememberMe: !auth.sessions.isDontRemember(ctx))
        }
        return .json(["status": true])
    }

    static let deleteUser = Endpoint(
        .post, "/delete-user", auth: .sensitiveSession,
        body: BodySchema([.init("callbackURL", .string), .init("password", .string), .init("token", .string)]),
        summary: "Delete the user (password, fresh session or emailed confirmation)", tag: "User", statuses: [.notFound]
    ) { ctx in
        let auth = ctx.auth
        guard auth.config.user.deleteUserEnabled else { throw APIError.empty(.notFound) }
        let session = try await ctx.requireSession(sensitive: true)
        if let password = ctx.bodyString("password") {
            guard let hash = try await auth.store.credentialAccount(userID: session.userID)?.string("password") else {
                throw CoreErrors.error("CREDENTIAL_ACCOUNT_NOT_FOUND", .badRequest)
            }
            guard await auth.passwords.verify(password, against: hash) else { throw CoreErrors.invalidPassword }
        } else if let token = ctx.bodyString("token") {
            return try await deleteWithToken(ctx, token: token, callbackURL: ctx.bodyString("callbackURL"))
        } else if !auth.sessions.isFresh(session) {
            throw CoreErrors.error("SESSION_EXPIRED", .badRequest)
        }
        if auth.config.user.sendDeleteAccountVerification, auth.canSendEmail {
            let token = RandomIdentifier.string(length: 32, alphabet: RandomIdentifier.lowerAlphanumeric)
            let expires = Date().addingTimeInterval(TimeInterval(auth.config.user.deleteTokenExpiresIn))
            try await auth.store.createVerification(identifier: "delete-account-\(token)", value: session.userID, expiresAt: expires)
            let url = auth.endpointURL("/delete-user/callback") + "?token=\(token)&callbackURL="
                + URIComponent.encode(ctx.bodyString("callbackURL") ?? "/")
            try await auth.deliverEmail(kind: "delete-account", to: session.user.string("email") ?? "", url: url, token: token,
                                        context: auth.templateContext(session.user))
            return .json(["success": true, "message": "Verification email sent"])
        }
        try await auth.store.transaction(in: auth.database) { store in try await store.deleteUser(id: session.userID) }
        auth.sessions.clearCookies(ctx)
        return .json(["success": true, "message": "User deleted"])
    }

    static let deleteCallback = Endpoint(
        .get, "/delete-user/callback",
        query: BodySchema([.init("token", .string, required: true), .init("callbackURL", .string)]),
        summary: "Confirm an account deletion from its emailed link", tag: "User", statuses: [.found, .notFound]
    ) { ctx in
        guard ctx.auth.config.user.deleteUserEnabled else { throw APIError.empty(.notFound) }
        return try await deleteWithToken(ctx, token: ctx.query["token"] ?? "", callbackURL: ctx.query["callbackURL"])
    }

    private static func deleteWithToken(_ ctx: EndpointContext, token: String, callbackURL: String?) async throws -> APIResponse {
        let auth = ctx.auth
        guard let session = try await ctx.currentSession() else { throw CoreErrors.error("FAILED_TO_GET_USER_INFO", .notFound) }
        // Check the owner before consuming, so someone else's session cannot burn the token.
        let identifier = "delete-account-\(token)"
        guard !token.isEmpty, try await auth.store.verification(identifier: identifier)?.string("value") == session.userID,
            let userID = try await auth.store.consumeVerification(identifier: identifier)
        else { throw CoreErrors.error("INVALID_TOKEN", .notFound) }
        try await auth.store.transaction(in: auth.database) { store in try await store.deleteUser(id: userID) }
        auth.sessions.clearCookies(ctx)
        if let callbackURL { return .redirect(callbackURL) }
        return .json(["success": true, "message": "User deleted"])
    }
}
