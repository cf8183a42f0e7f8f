import Crypto
import Dispatch
import GatehouseCrypto
import GatehouseStorage
import NIOConcurrencyHelpers

/// A short-lived, in-process cache of session lookups by token, so `get-session` (the hottest
/// route) usually skips the database. Every write through `AuthStore` that touches a session
/// or its user invalidates the entries involved, here and, through the database's change feed
/// (PostgreSQL `LISTEN`/`NOTIFY`), in every other instance on the same database. While that
/// feed is down nothing is cached, since another instance's change could go unheard.
/// `timeToLive` bounds how long a change made outside Gatehouse (a manual SQL edit) goes unseen.
/// Sensitive routes never read from it.
final class SessionCache: Sendable {
    private struct Entry {
        let session: AuthSession
        let storedAt: UInt64
        /// What the feed names the session by: tokens are secrets and stay out of NOTIFY payloads.
        let tokenDigest: String
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Bumped by every invalidation, so a lookup that raced with a write is not stored.
        var version: UInt64 = 0
        /// Whether invalidations from other instances are being heard (always, without a feed).
        var live: Bool
        /// Stores since expired entries were last swept out.
        var storesSinceSweep = 0
    }

    private static let sweepInterval = 256
    private let state: NIOLockedValueBox<State>
    private let timeToLive: UInt64
    private let capacity: Int
    private let feed: (any ChangeFeed)?

    init(timeToLiveSeconds: Double = 2, capacity: Int = 10_000, feed: (any ChangeFeed)? = nil) {
        timeToLive = UInt64(timeToLiveSeconds * 1_000_000_000)
        self.capacity = capacity
        self.feed = feed
        state = NIOLockedValueBox(State(live: feed == nil))
        feed?.subscribe { [weak self] event in self?.receive(event) }
    }

    /// The current version; pass it to `store` after reading the database.
    var version: UInt64 { state.withLockedValue { $0.version } }

    func session(token: String) -> AuthSession? {
        state.withLockedValue { state in
            guard let entry = state.entries[token] else { return nil }
            // Read under the lock: a clock read before it could predate a newer entry's `storedAt`.
            guard DispatchTime.now().uptimeNanoseconds - entry.storedAt < timeToLive else {
                state.entries[token] = nil
                return nil
            }
            return entry.session
        }
    }

    /// Keeps `session` unless something was invalidated since `version` was read.
    func store(_ session: AuthSession, ifUnchangedSince version: UInt64) {
        let digest = Self.digest(session.token)
        state.withLockedValue { state in
            guard state.live, state.version == version else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            // Every few hundred stores, drop the expired entries nobody asked for again, so the
            // cache holds the sessions in use rather than filling up to its capacity.
            state.storesSinceSweep += 1
            if state.storesSinceSweep >= Self.sweepInterval {
                state.storesSinceSweep = 0
                state.entries = state.entries.filter { now - $0.value.storedAt < timeToLive }
            }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[session.token] = Entry(session: session, storedAt: now, tokenDigest: digest)
        }
    }

    func invalidate(token: String) {
        state.withLockedValue { state in
            state.version &+= 1
            state.entries[token] = nil
        }
        announce("t:" + Self.digest(token))
    }

    func invalidate(userID: String) {
        drop { $0.session.userID == userID }
        announce("u:" + userID)
    }

    func invalidateAll() {
        drop { _ in true }
        announce("*")
    }

    /// Runs a database transaction's work: what it invalidates is announced to the other
    /// instances only once it has ended (announced earlier, they could re-read and cache the
    /// old rows before the commit; after a rollback the announcement is merely redundant), and
    /// this process forgets everything cached meanwhile, since rows read while it ran may
    /// predate its commit.
    func holdingAnnouncements<T>(_ work: () async throws -> T) async throws -> T {
        let held = HeldAnnouncements()
        defer {
            drop { _ in true }
            for message in held.messages.withLockedValue({ $0 }) { announce(message) }
        }
        return try await Self.$held.withValue(held) { try await work() }
    }

    private final class HeldAnnouncements: Sendable {
        let messages = NIOLockedValueBox<[String]>([])
    }

    @TaskLocal private static var held: HeldAnnouncements?

    private func drop(where matches: (Entry) -> Bool) {
        state.withLockedValue { state in
            state.version &+= 1
            state.entries = state.entries.filter { !matches($0.value) }
        }
    }

    private func announce(_ message: String) {
        guard let feed else { return }
        if let held = Self.held {
            held.messages.withLockedValue { $0.append(message) }
            return
        }
        Task { await feed.publish(message) }
    }

    /// Another instance's invalidation (or our own, echoed), or the feed going up or down.
    private func receive(_ event: ChangeFeedEvent) {
        switch event {
        case .connected, .disconnected:
            drop { _ in true }
            state.withLockedValue { $0.live = event == .connected }
        case .message(let message):
            if message.hasPrefix("t:") {
                let digest = String(message.dropFirst(2))
                drop { $0.tokenDigest == digest }
            } else if message.hasPrefix("u:") {
                let userID = String(message.dropFirst(2))
                drop { $0.session.userID == userID }
            } else {
                drop { _ in true }
            }
        }
    }

    private static func digest(_ token: String) -> String {
        Base64.url(SHA256.hash(data: Array(token.utf8)))
    }
}
