import GatehouseJSON
import GatehouseStorage
import NIOConcurrencyHelpers
import OrderedCollections

/// The host's own events (ABI 1.2), published to subscribed plugins with `"source": "core"`
/// once the change they report is committed (catalogue in docs/plugin-abi.md, §8). Payloads are
/// API output, never a token, password, hash or secret, plus the request's `ipAddress` and
/// `userAgent` (null outside a request).
struct HostEvents: Sendable {
    enum Name: String {
        case userCreated = "user.created", userUpdated = "user.updated", userDeleted = "user.deleted"
        case sessionCreated = "session.created", sessionRevoked = "session.revoked"
        case signInSucceeded = "signIn.succeeded", signInFailed = "signIn.failed"
        case passwordChanged = "password.changed", passwordReset = "password.reset", emailVerified = "email.verified"
        case accountLinked = "account.linked", accountUnlinked = "account.unlinked"
        /// Failed password sign-ins locked the account (`emailAndPassword.lockout`).
        case accountLocked = "account.locked"
        /// (1.5) Delivered awaited, inside `users.proveEmail` (EmailProof.swift).
        case unprovenAccessRevoked = "user.unprovenAccessRevoked"
    }

    /// The `source` of host events; no plugin can have this id (the core's).
    static let source = "core"

    let plugins: PluginEvents
    let schema: Schema

    /// The `{user}` events: user.*, password.*, email.verified.
    func emit(_ name: Name, user: Record) {
        emit(name, ["user": schema.output("user", user)])
    }

    func sessionCreated(_ session: Record, user: Record) {
        emit(.sessionCreated, ["session": output(session: session), "user": schema.output("user", user)])
    }

    func sessionRevoked(_ session: Record) {
        emit(.sessionRevoked, ["session": output(session: session)])
    }

    func signInSucceeded(_ session: AuthSession) {
        signInSucceeded(userID: session.userID, sessionID: session.session.id)
    }

    func signInSucceeded(userID: String, sessionID: String) {
        emit(.signInSucceeded, ["userId": .string(userID), "sessionId": .string(sessionID)])
    }

    /// `userID`: the owner of `email`, when there is one; `reason`: the error code answered.
    func signInFailed(email: String, userID: String?, reason: String) {
        emit(.signInFailed, ["email": .string(email), "userId": userID.map(JSONValue.string) ?? .null, "reason": .string(reason)])
    }

    /// account.locked: whose account, and until when (an ISO date).
    func accountLocked(userID: String, until: String) {
        emit(.accountLocked, ["userId": .string(userID), "lockedUntil": .string(until)])
    }

    /// account.linked and account.unlinked: the account's key fields only (its tokens stay out).
    func emit(_ name: Name, account: Record, user: Record) {
        let keys: JSONValue = ["id": .string(account.id), "providerId": account["providerId"]?.json ?? .null,
                               "accountId": account["accountId"]?.json ?? .null, "userId": account["userId"]?.json ?? .null]
        emit(name, ["account": keys, "user": schema.output("user", user)])
    }

    /// A session as API output without its token (a bearer credential).
    private func output(session: Record) -> JSONValue {
        var out = schema.output("session", session).objectValue ?? [:]
        out.removeValue(forKey: "token")
        return .object(out)
    }

    private func emit(_ name: Name, _ data: OrderedDictionary<String, JSONValue>) {
        // Stamped here, where the request is known, as publishing may wait for the commit.
        let (plugins, payload) = (plugins, EventScope.stamped(.object(data)))
        let publish: @Sendable () -> Void = { plugins.publish(name.rawValue, payload: payload, source: Self.source) }
        if let pending = Self.pending {
            pending.withLockedValue { $0.append(publish) }
        } else {
            publish()
        }
    }
}

extension HostEvents {
    /// Runs `transaction`, holding the host events emitted inside it: they are published in
    /// order once it has returned (committed) and dropped if it throws (rolled back). A
    /// transaction inside another holds its events for the outer one.
    static func holding<T>(_ transaction: () async throws -> T) async throws -> T {
        if Self.pending != nil { return try await transaction() }
        let held = NIOLockedValueBox<[@Sendable () -> Void]>([])
        let result = try await $pending.withValue(held) { try await transaction() }
        for publish in held.withLockedValue({ $0 }) { publish() }
        return result
    }

    @TaskLocal private static var pending: NIOLockedValueBox<[@Sendable () -> Void]>?
}
