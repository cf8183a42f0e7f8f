import Dispatch
import NIOConcurrencyHelpers

/// A short-lived, in-process cache of session lookups by token, so `get-session` (the hottest
/// route) usually skips the database. Every write through `AuthStore` that touches a session
/// or its user invalidates the entries involved; `timeToLive` bounds how long a change made
/// outside this process (another instance, a manual SQL edit) can go unseen. Sensitive routes
/// never read from it.
final class SessionCache: Sendable {
    private struct Entry {
        let session: AuthSession
        let storedAt: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Bumped by every invalidation, so a lookup that raced with a write is not stored.
        var version: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    private let timeToLive: UInt64
    private let capacity: Int

    init(timeToLiveSeconds: Double = 2, capacity: Int = 10_000) {
        timeToLive = UInt64(timeToLiveSeconds * 1_000_000_000)
        self.capacity = capacity
    }

    /// The current version; pass it to `store` after reading the database.
    var version: UInt64 { state.withLockedValue { $0.version } }

    func session(token: String) -> AuthSession? {
        let now = DispatchTime.now().uptimeNanoseconds
        return state.withLockedValue { state in
            guard let entry = state.entries[token] else { return nil }
            guard now - entry.storedAt < timeToLive else {
                state.entries[token] = nil
                return nil
            }
            return entry.session
        }
    }

    /// Keeps `session` unless something was invalidated since `version` was read.
    func store(_ session: AuthSession, ifUnchangedSince version: UInt64) {
        let entry = Entry(session: session, storedAt: DispatchTime.now().uptimeNanoseconds)
        state.withLockedValue { state in
            guard state.version == version else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[session.token] = entry
        }
    }

    func invalidate(token: String) {
        state.withLockedValue { state in
            state.version &+= 1
            state.entries[token] = nil
        }
    }

    func invalidate(userID: String) {
        state.withLockedValue { state in
            state.version &+= 1
            state.entries = state.entries.filter { $0.value.session.userID != userID }
        }
    }

    func invalidateAll() {
        state.withLockedValue { state in
            state.version &+= 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }
}
