import Foundation
import GatehouseStorage

/// Account lockout (OWASP ASVS 5.0 V6.3, NIST SP 800-63B §5.2.2): failed password sign-ins are
/// counted per e-mail address, whatever the client address and whichever instance answers, so a
/// slow guessing campaign spread over many addresses still stops. Unknown addresses are counted
/// too, and a locked account is answered exactly like a wrong password, so nothing tells which
/// addresses have accounts or are locked. Rows are keyed by a keyed hash of the address: the
/// table holds no e-mail addresses.
enum AccountLockout {
    static let table = TableSchema(name: "signInLockout", fields: [
        Field("key", .string, unique: true),
        Field("failures", .number),
        Field("windowStartedAt", .date, indexed: true),
        Field("lockedUntil", .date, required: false),
        Field("locks", .number), // so far: each lasts twice the one before, until a sign-in succeeds
    ])

    /// Whether a lockout row refuses password sign-ins right now.
    static func isLocked(_ row: Record?) -> Bool { row?.date("lockedUntil").map { $0 > Date() } ?? false }

    /// What a failure did.
    enum Outcome: Equatable {
        case counted
        /// This failure locked the account until then.
        case locked(until: Date)
        /// The account was already locked: not counted, the lock not extended.
        case alreadyLocked
    }
}

extension AuthContext {
    private var lockout: GatehouseConfig.Lockout { config.emailAndPassword.lockout }

    private func lockoutKey(_ email: String) -> String { signer.signature(of: "sign-in-lockout:" + email.lowercased()) }

    /// The lockout row of `email`: failures are being counted for it, or it is locked
    /// (`AccountLockout.isLocked`). Nil without one, or with lockout off.
    func lockoutRow(_ email: String) async throws -> Record? {
        guard lockout.enabled else { return nil }
        return try await store.adapter.findOne(AccountLockout.table.name, where: [Condition("key", .eq, .string(lockoutKey(email)))])
    }

    /// Counts a failed password sign-in for `email`, atomically across instances.
    func recordSignInFailure(_ email: String) async throws -> AccountLockout.Outcome {
        guard lockout.enabled else { return .counted }
        let key = lockoutKey(email)
        let settings = lockout
        return try await database.transaction { [store] tx in
            let adapter = store.adapter.using(tx)
            try await adapter.serialize(on: "signInLockout:" + key)
            let mine = [Condition("key", .eq, .string(key))]
            let now = Date()
            guard let row = try await adapter.findOne(AccountLockout.table.name, where: mine) else {
                // Rows past any window and lock of theirs say nothing: a new address clears them out,
                // so guesses at endless unknown addresses cannot grow the table without bound.
                let stale = now.addingTimeInterval(-TimeInterval(settings.windowSeconds + settings.maxLockSeconds))
                try await adapter.delete(AccountLockout.table.name, where: [Condition("windowStartedAt", .lt, .date(stale))])
                try await adapter.create(AccountLockout.table.name, ["key": .string(key), "failures": .int(1), "windowStartedAt": .date(now), "locks": .int(0)])
                return settings.maxFailures <= 1 ? try await Self.lock(adapter, mine, locks: 0, settings, now) : .counted
            }
            if let until = row.date("lockedUntil"), until > now { return .alreadyLocked }
            let windowOpen = row.date("windowStartedAt").map { now.timeIntervalSince($0) < TimeInterval(settings.windowSeconds) } ?? false
            let failures = windowOpen ? Int(row.int("failures") ?? 0) + 1 : 1
            if failures >= settings.maxFailures { return try await Self.lock(adapter, mine, locks: Int(row.int("locks") ?? 0), settings, now) }
            try await adapter.update(AccountLockout.table.name, where: mine, set: [
                "failures": .int(Int64(failures)), "windowStartedAt": windowOpen ? row["windowStartedAt"] ?? .date(now) : .date(now),
            ])
            return .counted
        }
    }

    /// A successful sign-in, or a password reset: the count, any lock and its doubling start over.
    func clearLockout(_ email: String) async throws {
        guard lockout.enabled else { return }
        try await store.adapter.delete(AccountLockout.table.name, where: [Condition("key", .eq, .string(lockoutKey(email)))])
    }

    private static func lock(_ adapter: Adapter, _ row: [Condition], locks: Int, _ settings: GatehouseConfig.Lockout, _ now: Date) async throws
        -> AccountLockout.Outcome {
        var seconds = settings.lockSeconds
        for _ in 0..<locks where seconds < settings.maxLockSeconds {
            seconds = seconds > settings.maxLockSeconds / 2 ? settings.maxLockSeconds : seconds * 2
        }
        seconds = min(seconds, settings.maxLockSeconds)
        let until = now.addingTimeInterval(TimeInterval(seconds))
        try await adapter.update(AccountLockout.table.name, where: row, set: [
            "failures": .int(0), "windowStartedAt": .date(now), "lockedUntil": .date(until), "locks": .int(Int64(locks + 1)),
        ])
        return .locked(until: until)
    }

    /// The account's owner hears of the lock once, by e-mail (never with a tried password), and
    /// subscribers get `account.locked`.
    func accountLocked(_ user: Record, until: Date) async throws {
        let when = ISO8601DateFormatter().string(from: until)
        store.events.accountLocked(userID: user.id, until: when)
        if canSendEmail, let address = user.string("email") {
            try await deliverEmail(kind: "account-locked", to: address, url: nil, token: nil,
                                   context: templateContext(user, extra: ["lockedUntil": when]))
        }
    }
}
