import Foundation

/// E-mail and password, sessions and the account: the core's routes.
extension GatehouseClient {
    /// Creates the account. When the server signs new users in (no e-mail verification
    /// required), the client is then signed in as the new user.
    @discardableResult
    public func signUp(email: String, password: String, name: String, image: String? = nil) async throws -> User {
        let answer = try await send(.post, "/sign-up/email", body: WireJSON.body([
            "email": .string(email), "password": .string(password), "name": .string(name), "image": image.field,
        ]))
        let body = try answer.decode(SignInAnswer.self)
        guard let user = body.user else { throw GatehouseError(status: answer.response.statusCode, code: "INVALID_RESPONSE", message: "The answer has no user") }
        if try adoptSignInToken(body, answer) { try await signedIn(as: user) }
        return user
    }

    /// `.signedIn(user)`, or `.twoFactorRequired(methods)` when the account has two-factor on
    /// and this device is not trusted; then one of the two-factor verifications finishes it.
    @discardableResult
    public func signIn(email: String, password: String, rememberMe: Bool? = nil) async throws -> AuthState {
        let answer = try await send(.post, "/sign-in/email", body: WireJSON.body([
            "email": .string(email), "password": .string(password), "rememberMe": rememberMe.field,
        ]))
        return try await finishSignIn(answer)
    }

    /// Ends the session on the server and here. The state is `signedOut` afterwards even when
    /// the server cannot be reached (the error is thrown then) or the session was gone already.
    public func signOut() async throws {
        guard let token = sessionToken else {
            forgetSession()
            return
        }
        // A sign-in that finished meanwhile is another session: it stays.
        defer { if sessionToken == token { forgetSession() } }
        do {
            _ = try await send(.post, "/sign-out", body: WireJSON.body([:]))
        } catch let error as GatehouseError where error.status == 401 {
            // Already gone on the server.
        }
    }

    /// The session and user as the server has them now (nil when signed out), refreshing
    /// `currentUser` and `currentSession`; a `null` for the stored token signs out.
    @discardableResult
    public func getSession() async throws -> SessionInfo? {
        guard let token = sessionToken else { return nil }
        let answer = try await send(.get, "/get-session")
        guard token == sessionToken else { return try answer.decode(SessionInfo?.self) }
        guard let info = try answer.decode(SessionInfo?.self) else {
            forgetSession()
            return nil
        }
        try adopt(info.user, session: info.session)
        return info
    }

    /// The user's sessions (each with its `token`, for `revokeSession(token:)`).
    public func listSessions() async throws -> [Session] {
        try await send(.get, "/list-sessions").decode([Session].self)
    }

    /// Revokes one of the user's sessions; revoking this client's own signs it out.
    public func revokeSession(token: String) async throws {
        let own = currentSession?.token == token ? sessionToken : nil
        _ = try await send(.post, "/revoke-session", body: WireJSON.body(["token": .string(token)]))
        if let own, own == sessionToken { forgetSession() }
    }

    /// Revokes every session of the user, this one included.
    public func revokeSessions() async throws {
        let answer = try await send(.post, "/revoke-sessions", body: WireJSON.body([:]))
        if answer.sentToken == sessionToken { forgetSession() }
    }

    public func revokeOtherSessions() async throws {
        _ = try await send(.post, "/revoke-other-sessions", body: WireJSON.body([:]))
    }

    /// Changes the profile; the new user is announced (`.signedIn(user)`).
    @discardableResult
    public func updateUser(name: String? = nil, image: String? = nil) async throws -> User {
        _ = try await send(.post, "/update-user", body: WireJSON.body(["name": name.field, "image": image.field]))
        return try await refreshedUser()
    }

    /// With `revokeOtherSessions` the server replaces this session too; the client carries on
    /// with the new one (no `signedOut` in between).
    @discardableResult
    public func changePassword(currentPassword: String, newPassword: String, revokeOtherSessions: Bool = false) async throws -> User {
        _ = try await send(.post, "/change-password", body: WireJSON.body([
            "currentPassword": .string(currentPassword), "newPassword": .string(newPassword),
            "revokeOtherSessions": .bool(revokeOtherSessions),
        ]))
        return try await refreshedUser()
    }

    /// Mails a reset link (the answer is the same whether or not the address has an account).
    /// `redirectTo` is where the link lands with `?token=`: an app link or web page that calls
    /// `resetPassword(token:newPassword:)`.
    public func requestPasswordReset(email: String, redirectTo: String? = nil) async throws {
        _ = try await send(.post, "/request-password-reset", body: WireJSON.body(["email": .string(email), "redirectTo": redirectTo.field]))
    }

    public func resetPassword(token: String, newPassword: String) async throws {
        _ = try await send(.post, "/reset-password", body: WireJSON.body(["token": .string(token), "newPassword": .string(newPassword)]))
    }

    public func sendVerificationEmail(email: String, callbackURL: String? = nil) async throws {
        _ = try await send(.post, "/send-verification-email", body: WireJSON.body(["email": .string(email), "callbackURL": callbackURL.field]))
    }

    /// Deletes the account (or, when the server asks for a confirmation by e-mail, sends it).
    /// Once the account is gone the client is signed out.
    public func deleteUser(password: String? = nil) async throws {
        _ = try await send(.post, "/delete-user", body: WireJSON.body(["password": password.field]))
        try await getSession()
    }

    /// The user after a change, from get-session.
    func refreshedUser() async throws -> User {
        guard let info = try await getSession() else { throw GatehouseError(status: 401, code: "UNAUTHORIZED", message: "The session has ended") }
        return info.user
    }
}

/// What the sign-in and sign-up routes answer.
struct SignInAnswer: Decodable {
    var token: String?
    var user: User?
    var twoFactorRedirect: Bool?
    var twoFactorMethods: [String]?
}

extension GatehouseClient {
    /// A sign-in answer: a session (`set-auth-token`, or the body's token when the bearer plugin
    /// only accepts it), or the two-factor plugin's challenge.
    func finishSignIn(_ answer: Answer) async throws -> AuthState {
        let body = try answer.decode(SignInAnswer.self)
        if body.twoFactorRedirect == true {
            // Another account's challenge: a session this client held is not that account's, and
            // its bearer token must not ride along with the challenge (a session wins there).
            let challenge = twoFactorCookie
            if sessionToken != nil { forgetSession() }
            twoFactorCookie = challenge
            setState(.twoFactorRequired(methods: body.twoFactorMethods ?? ["totp"]))
            return state
        }
        guard let user = body.user, try adoptSignInToken(body, answer) else {
            throw GatehouseError(status: answer.response.statusCode, code: "INVALID_RESPONSE", message: "The sign-in answer has no session")
        }
        try await signedIn(as: user)
        return state
    }

    /// `finishSignIn` for the calls that return the user: a pending second factor is thrown.
    func finishSignInForUser(_ answer: Answer) async throws -> User {
        guard case .signedIn(let user) = try await finishSignIn(answer) else { throw GatehouseError.twoFactorRequired }
        return user
    }

    /// Whether the answer carried a session. `send` has kept `set-auth-token` already; without
    /// one (the body's token is not the one just kept) the body's unsigned token is used, which
    /// the bearer plugin accepts unless `requireSignature` is set. A sign-in or sign-out that
    /// finished while this one was under way wins.
    func adoptSignInToken(_ body: SignInAnswer, _ answer: Answer) throws -> Bool {
        guard let token = body.token, !token.isEmpty else { return false }
        if let current = sessionToken, current == token || current.hasPrefix(token + ".") { return true }
        guard sessionToken == answer.sentToken else { throw GatehouseError.sessionChanged }
        try replaceToken(token)
        return true
    }

    /// Announces the user, then fetches the session (`currentSession`) with the new token; the
    /// sign-in stands even if that fetch fails (the next `getSession()` fills it in).
    func signedIn(as user: User) async throws {
        try adopt(user)
        _ = try? await getSession()
    }
}
