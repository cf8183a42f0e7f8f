import Foundation

/// A client of a Gatehouse (or any Better Auth 1.7-compatible) server with the bearer plugin:
/// it keeps the session's bearer token in a `TokenStore`, announces the user's `AuthState`,
/// and calls the server's routes under `basePath`.
///
/// One client per server and store. Every answer outside 2xx throws `GatehouseError`; a refused
/// call changes neither the stored token nor the state, except a 401 (or a `null` get-session)
/// for the stored token, which means the session is gone: the state becomes `signedOut`.
public actor GatehouseClient {
    /// The keys the client uses in its `TokenStore`.
    public enum StoreKey {
        /// The session's signed token, sent as `Authorization: Bearer`.
        public static let sessionToken = "gatehouse.sessionToken"
        /// The signed-in user and the session (JSON), so a new client resumes with `currentUser`
        /// and `currentSession` before any call.
        public static let user = "gatehouse.user"
        public static let session = "gatehouse.session"
        /// The two-factor plugin's `trust_device` cookie (`name=value`): this device skips the
        /// second factor until it expires. Kept across sign-outs, as a browser keeps it.
        public static let trustDevice = "gatehouse.trustDevice"
    }

    public nonisolated let baseURL: URL
    public nonisolated let basePath: String
    let storage: any TokenStore
    let transport: any HTTPTransport

    /// The last known state; `authStateChanges()` announces each change.
    public private(set) var state: AuthState
    public private(set) var currentUser: User?
    /// Known after a sign-in or `getSession()`; nil when signed out.
    public private(set) var currentSession: Session?

    var sessionToken: String?
    /// `name=value` of the cookie a pending two-factor challenge is bound to (memory only).
    var twoFactorCookie: String?
    var trustDeviceCookie: String?
    var cachedJWT: CachedJWT?
    var fetchingJWT: JWTFetch?
    /// The PKCE verifier of the browser sign-in `authorizationURL` started.
    var pendingBrowserSignIn: BrowserSignIn?
    private var observers: [UUID: AsyncStream<AuthState>.Continuation] = [:]

    public init(baseURL: URL, basePath: String = "/api/auth", storage: any TokenStore = InMemoryTokenStore(),
                transport: any HTTPTransport = URLSessionTransport()) {
        self.baseURL = baseURL
        self.basePath = basePath
        self.storage = storage
        self.transport = transport
        // A store that cannot be read is an empty one: the app signs in again.
        let stored = { (key: String) in (try? storage.get(key)) ?? nil }
        let token = stored(StoreKey.sessionToken)
        let user = token == nil ? nil : stored(StoreKey.user).flatMap { try? JSONDecoder().decode(User.self, from: Data($0.utf8)) }
        sessionToken = token
        trustDeviceCookie = stored(StoreKey.trustDevice)
        currentUser = user
        currentSession = user == nil ? nil : stored(StoreKey.session).flatMap { try? JSONDecoder().decode(Session.self, from: Data($0.utf8)) }
        state = user.map(AuthState.signedIn) ?? .signedOut
    }

    /// The current state at once, then every change (a session rotation, such as a password
    /// change that revokes other sessions, is no change). Ends when the caller stops iterating.
    public func authStateChanges() -> AsyncStream<AuthState> {
        let (stream, continuation) = AsyncStream.makeStream(of: AuthState.self)
        let id = UUID()
        observers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeObserver(id) }
        }
        continuation.yield(state)
        return stream
    }

    private func removeObserver(_ id: UUID) {
        observers[id] = nil
    }

    func setState(_ new: AuthState) {
        guard new != state else { return }
        state = new
        for continuation in observers.values { continuation.yield(new) }
    }

    /// The session belongs to `user` (new or refreshed): remembered and announced.
    func adopt(_ user: User, session: Session? = nil) throws {
        if user != currentUser {
            try storage.set(StoreKey.user, String(decoding: try JSONEncoder().encode(user), as: UTF8.self))
            currentUser = user
        }
        if let session, session != currentSession {
            try storage.set(StoreKey.session, String(decoding: try JSONEncoder().encode(session), as: UTF8.self))
            currentSession = session
        }
        twoFactorCookie = nil
        setState(.signedIn(user))
    }

    /// A new session token (a sign-in, or the server replacing the session): kept, and what
    /// belonged to the previous session (its JWT, its session row) is dropped.
    func replaceToken(_ token: String) throws {
        try storage.set(StoreKey.sessionToken, token)
        sessionToken = token
        cachedJWT = nil
        if currentSession != nil {
            currentSession = nil
            try? storage.remove(StoreKey.session)
        }
    }

    /// The session is over (signed out, revoked, deleted): everything of it is forgotten, the
    /// device's `trust_device` cookie excepted.
    func forgetSession() {
        sessionToken = nil
        currentUser = nil
        currentSession = nil
        cachedJWT = nil
        fetchingJWT?.task.cancel()
        fetchingJWT = nil
        twoFactorCookie = nil
        // Best effort: a token left behind by a failing store is found dead at its next use.
        for key in [StoreKey.sessionToken, StoreKey.user, StoreKey.session] { try? storage.remove(key) }
        setState(.signedOut)
    }
}
