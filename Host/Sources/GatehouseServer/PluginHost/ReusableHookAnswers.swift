import Crypto
import GatehouseJSON
import NIOConcurrencyHelpers
import NIOCore

/// After-hook and onResponse answers a plugin marked reusable (`"reuseFor": seconds`, ABI 1.9):
/// the same callback given a byte-identical envelope gets the same answer again, without a call
/// across the ABI, until it expires. The plugin promises that such an answer depends on nothing
/// but the envelope (the jwt plugin's `set-auth-jwt` for one get-session answer, say); any change
/// to what the envelope carries (the user, the session, its expiry) is a different envelope.
/// One store per plugin instance, so a reload starts empty. Keys are SHA-256 digests, so the
/// store never holds a session token itself. Envelopes are only hashed for callbacks that have
/// asked for reuse at least once, so other callbacks pay nothing.
final class ReusableHookAnswers: Sendable {
    /// The longest reuse a plugin may ask for, and how many answers one instance keeps.
    static let longest = 3600
    static let capacity = 10_000

    /// Answer keys that only shape the response: an answer with any other key (cookies, a
    /// sign-in, a patch, an error) has effects beyond its headers and is never reused.
    private static let reusableKeys: Set<String> = ["action", "headers", "status", "body", "contentType", "reuseFor"]

    /// Names a callback: its kind and its index in the manifest's list.
    struct Callback: Hashable {
        let kind: UInt32
        let index: Int
    }

    /// A callback's envelope, hashed once for the lookup and the keeping.
    struct Lookup {
        let callback: Callback
        let envelope: [UInt8]
        fileprivate var digest: SHA256Digest?

        init(callback: Callback, envelope: [UInt8]) {
            self.callback = callback
            self.envelope = envelope
        }
    }

    private struct Key: Hashable {
        let callback: Callback
        let envelope: SHA256Digest
    }

    private struct Entry {
        let answer: JSONValue
        let expires: NIODeadline
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// Callbacks that have answered `reuseFor` at least once.
        var reusing: Set<Callback> = []
        /// Answers kept since expired ones were last swept out.
        var keptSinceSweep = 0
    }

    private let state = NIOLockedValueBox(State())

    /// The answer kept for this callback and envelope, if it has not expired; `lookup` carries
    /// the envelope's digest on to `keep`.
    func answer(_ lookup: inout Lookup, now: NIODeadline = .now()) -> JSONValue? {
        guard state.withLockedValue({ $0.reusing.contains(lookup.callback) }) else { return nil }
        let key = Key(callback: lookup.callback, envelope: SHA256.hash(data: lookup.envelope))
        lookup.digest = key.envelope
        return state.withLockedValue { state in
            guard let entry = state.entries[key] else { return nil }
            guard entry.expires > now else {
                state.entries[key] = nil
                return nil
            }
            return entry.answer
        }
    }

    /// Keeps `answer` when it asks to be reused and has no effect beyond the response.
    func keep(_ answer: JSONValue, for lookup: Lookup, now: NIODeadline = .now()) {
        guard let seconds = answer["reuseFor"]?.intValue, seconds > 0, let members = answer.objectValue,
              members.keys.allSatisfy(Self.reusableKeys.contains)
        else { return }
        let entry = Entry(answer: answer, expires: now + .seconds(Int64(min(seconds, Self.longest))))
        let key = Key(callback: lookup.callback, envelope: lookup.digest ?? SHA256.hash(data: lookup.envelope))
        state.withLockedValue { state in
            state.reusing.insert(lookup.callback)
            // Every few hundred answers, and when full, drop the expired ones, so the store holds
            // what is in use rather than filling up to its capacity.
            state.keptSinceSweep += 1
            if state.keptSinceSweep >= 256 || state.entries.count >= Self.capacity {
                state.keptSinceSweep = 0
                state.entries = state.entries.filter { $0.value.expires > now }
                // Still full of live answers: start over, rather than evict one at a time (each
                // of which would copy the whole store).
                if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            }
            state.entries[key] = entry
        }
    }
}
