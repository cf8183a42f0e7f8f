import Foundation
import GatehouseStorage

/// The internal adapter: users, sessions, accounts and verification rows, the way Better
/// Auth's `internalAdapter` manages them. Plugins reach these operations through the host.
/// Each change to a user, session or account emits its host event (ABI 1.2) once committed.
public struct AuthStore: Sendable {
    public let adapter: Adapter
    let sessionCache: SessionCache
    let events: HostEvents

    init(adapter: Adapter, sessionCache: SessionCache, events: PluginEvents) {
        self.adapter = adapter
        self.sessionCache = sessionCache
        self.events = HostEvents(plugins: events, schema: adapter.schema)
    }

    /// Runs `body` with a store whose statements share one transaction; the host events it
    /// emits are published after the commit.
    public func transaction<T: Sendable>(in database: any Database, _ body: @escaping @Sendable (AuthStore) async throws -> T) async throws -> T {
        try await HostEvents.holding {
            try await sessionCache.holdingAnnouncements {
                try await database.transaction { tx in
                    try await body(AuthStore(adapter: adapter.using(tx), sessionCache: sessionCache, events: events.plugins))
                }
            }
        }
    }

    // MARK: Users

    public func createUser(_ data: Record) async throws -> Record {
        var data = data
        if let email = data.string("email") { data["email"] = .string(email.lowercased()) }
        let user = try await adapter.create("user", data)
        events.emit(.userCreated, user: user)
        return user
    }

    public func user(id: String) async throws -> Record? {
        try await adapter.findOne("user", where: [Condition("id", .eq, .string(id))])
    }

    public func user(email: String) async throws -> Record? {
        try await adapter.findOne("user", where: [Condition("email", .eq, .string(email.lowercased()))])
    }

    @discardableResult
    public func updateUser(id: String, _ changes: Record) async throws -> Record? {
        defer { sessionCache.invalidate(userID: id) }
        let user = try await adapter.update("user", where: [Condition("id", .eq, .string(id))], set: changes).first
        if let user { events.emit(.userUpdated, user: user) }
        return user
    }

    /// Deletes the user with their sessions and accounts (one event: user.deleted).
    public func deleteUser(id: String) async throws {
        defer { sessionCache.invalidate(userID: id) }
        try await adapter.delete("session", where: [Condition("userId", .eq, .string(id))])
        try await adapter.delete("account", where: [Condition("userId", .eq, .string(id))])
        for user in try await adapter.delete("user", where: [Condition("id", .eq, .string(id))]) {
            events.emit(.userDeleted, user: user)
        }
    }

    // MARK: Accounts

    @discardableResult
    public func createAccount(_ data: Record) async throws -> Record {
        let account = try await adapter.create("account", data)
        try await announce(.accountLinked, account)
        return account
    }

    public func accounts(userID: String) async throws -> [Record] {
        try await adapter.findMany("account", where: [Condition("userId", .eq, .string(userID))], orderBy: SortOrder("createdAt"))
    }

    public func credentialAccount(userID: String) async throws -> Record? {
        try await adapter.findOne("account", where: [
            Condition("userId", .eq, .string(userID)), Condition("providerId", .eq, .string("credential")),
        ])
    }

    /// Sets the credential password, creating the credential account when the user has none.
    public func setPassword(userID: String, hash: String) async throws {
        let updated = try await adapter.update("account", where: [
            Condition("userId", .eq, .string(userID)), Condition("providerId", .eq, .string("credential")),
        ], set: ["password": .string(hash)])
        if updated.isEmpty {
            try await createAccount([
                "accountId": .string(userID), "providerId": "credential", "issuer": "local:credential",
                "userId": .string(userID), "password": .string(hash),
            ])
        }
    }

    /// The account with Better Auth 1.7's key `(issuer, accountId)`. A row of the same
    /// provider without an issuer (written before 1.7, or by a Better Auth server that has no
    /// `issuer` column) is the same account: it is found too, and gets its issuer now.
    public func account(issuer: String, providerID: String, accountID: String) async throws -> Record? {
        if let keyed = try await adapter.findOne("account", where: [
            Condition("issuer", .eq, .string(issuer)), Condition("accountId", .eq, .string(accountID)),
        ]) { return keyed }
        let legacy: [Condition] = [
            Condition("providerId", .eq, .string(providerID)), Condition("accountId", .eq, .string(accountID)),
            Condition("issuer", .eq, .null),
        ]
        return try await adapter.update("account", where: legacy, set: ["issuer": .string(issuer)]).first
    }

    @discardableResult
    public func updateAccount(id: String, _ changes: Record) async throws -> Record? {
        try await adapter.update("account", where: [Condition("id", .eq, .string(id))], set: changes).first
    }

    public func deleteAccount(id: String) async throws {
        for account in try await adapter.delete("account", where: [Condition("id", .eq, .string(id))]) {
            try await announce(.accountUnlinked, account)
        }
    }

    /// account.linked / account.unlinked, with the account's user (looked up only when a plugin
    /// subscribes: sign-up and linking pay nothing for events nobody hears).
    private func announce(_ name: HostEvents.Name, _ account: Record) async throws {
        guard events.plugins.isSubscribed(name.rawValue, from: HostEvents.source),
              let user = try await user(id: account.string("userId") ?? "") else { return }
        events.emit(name, account: account, user: user)
    }

    // MARK: Sessions

    /// Refused while a plugin holds the user's sign-in (SignInBlocks), whatever signs them in.
    /// `extra` holds plugin-declared session fields (an impersonation's `impersonatedBy`).
    public func createSession(for user: Record, token: String, expiresAt: Date, ipAddress: String?, userAgent: String?,
                              extra: Record = Record()) async throws -> Record {
        if let refusal = try await signInRefusal(userID: user.id) { throw refusal }
        var row: Record = [
            "expiresAt": .date(expiresAt), "token": .string(token), "ipAddress": .string(ipAddress ?? ""),
            "userAgent": .string(userAgent ?? ""), "userId": .string(user.id),
        ]
        for (name, value) in extra.fields where row[name] == nil { row[name] = value }
        let session = try await adapter.create("session", row)
        events.sessionCreated(session, user: user)
        return session
    }

    /// The session with this token and its user, expired or not. `cached` allows an answer
    /// from the session cache (never for sensitive routes).
    public func session(token: String, cached: Bool = false) async throws -> AuthSession? {
        if cached, let hit = sessionCache.session(token: token) { return hit }
        let version = sessionCache.version
        guard let found = try await adapter.findOne("session", where: [Condition("token", .eq, .string(token))],
                                                    withParent: "user", via: "userId")
        else { return nil }
        let session = AuthSession(session: found.row, user: found.parent)
        sessionCache.store(session, ifUnchangedSince: version)
        return session
    }

    public func sessions(userID: String) async throws -> [Record] {
        try await adapter.findMany("session", where: [Condition("userId", .eq, .string(userID))], orderBy: SortOrder("createdAt"))
    }

    @discardableResult
    public func updateSession(token: String, _ changes: Record) async throws -> Record? {
        defer { sessionCache.invalidate(token: token) }
        return try await adapter.update("session", where: [Condition("token", .eq, .string(token))], set: changes).first
    }

    public func deleteSession(token: String) async throws {
        defer { sessionCache.invalidate(token: token) }
        for session in try await adapter.delete("session", where: [Condition("token", .eq, .string(token))]) {
            events.sessionRevoked(session)
        }
    }

    public func deleteSessions(userID: String, except token: String? = nil) async throws {
        defer { sessionCache.invalidate(userID: userID) }
        var conditions = [Condition("userId", .eq, .string(userID))]
        if let token { conditions.append(Condition("token", .ne, .string(token))) }
        for session in try await adapter.delete("session", where: conditions) {
            events.sessionRevoked(session)
        }
    }

    // MARK: Verification rows

    public func createVerification(identifier: String, value: String, expiresAt: Date) async throws {
        try await adapter.create("verification", [
            "identifier": .string(identifier), "value": .string(value), "expiresAt": .date(expiresAt),
        ])
    }

    /// The unexpired row for `identifier`, left in place.
    public func verification(identifier: String) async throws -> Record? {
        let rows = try await adapter.findMany("verification", where: [Condition("identifier", .eq, .string(identifier))],
                                              orderBy: SortOrder("createdAt", descending: true), limit: 1)
        guard let row = rows.first, let expires = row.date("expiresAt"), expires > Date() else { return nil }
        return row
    }

    /// Deletes the rows for `identifier` and returns the value if one was unexpired: a
    /// token can be consumed once even under concurrent requests.
    public func consumeVerification(identifier: String) async throws -> String? {
        let deleted = try await adapter.delete("verification", where: [Condition("identifier", .eq, .string(identifier))])
        return deleted.first { ($0.date("expiresAt") ?? .distantPast) > Date() }?.string("value")
    }
}
