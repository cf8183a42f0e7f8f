import Dispatch
import NIOConcurrencyHelpers

/// The key-value store plugins get through the host table: in memory, per plugin id, with
/// time-to-live and atomic increment. It outlives plugin generations, so a reload keeps it.
final class PluginKeyValueStore: Sendable {
    private struct Entry {
        var value: [UInt8]
        var expiresAt: UInt64?
    }

    private let entries = NIOLockedValueBox([String: Entry]())

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// A time-to-live too large to represent never expires in practice: it saturates.
    private static func expiry(_ ttlSeconds: Int64) -> UInt64? {
        guard ttlSeconds > 0 else { return nil }
        let (nanoseconds, tooLong) = UInt64(ttlSeconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (at, overflow) = now().addingReportingOverflow(nanoseconds)
        return tooLong || overflow ? .max : at
    }

    func get(_ key: String) -> [UInt8]? {
        entries.withLockedValue { entries in
            guard let entry = entries[key] else { return nil }
            if let expires = entry.expiresAt, expires <= Self.now() {
                entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    func set(_ key: String, _ value: [UInt8], ttlSeconds: Int64) {
        entries.withLockedValue { $0[key] = Entry(value: value, expiresAt: Self.expiry(ttlSeconds)) }
    }

    func delete(_ key: String) -> Bool {
        entries.withLockedValue { $0.removeValue(forKey: key) != nil }
    }

    /// Adds `delta` to the integer at `key` (missing or expired counts as 0); a new key gets `ttlSeconds`.
    func increment(_ key: String, by delta: Int64, ttlSeconds: Int64) -> Int64? {
        entries.withLockedValue { entries in
            var entry = entries[key]
            if let expires = entry?.expiresAt, expires <= Self.now() { entry = nil }
            let current: Int64
            if let entry {
                guard let value = Int64(String(decoding: entry.value, as: UTF8.self)) else { return nil }
                current = value
            } else {
                current = 0
            }
            let next = current &+ delta
            entries[key] = Entry(value: Array(String(next).utf8), expiresAt: entry?.expiresAt ?? Self.expiry(ttlSeconds))
            return next
        }
    }
}
