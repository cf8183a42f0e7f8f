import Foundation
import GatehousePluginABI

/// The plugin's key-value store in memory, with the real store's rules: time-to-live in seconds
/// (0 or less: none), `increment` on decimal text, a missing or expired key counting as 0 and an
/// existing key keeping its expiry.
final class FakeKeyValueStore: @unchecked Sendable {
    private struct Entry {
        var value: [UInt8]
        var expiresAt: Date?
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    func get(_ key: String, now: Date) -> [UInt8]? {
        lock.withLock { live(key, now)?.value }
    }

    func set(_ key: String, _ value: [UInt8], ttlSeconds: Int64, now: Date) {
        lock.withLock { entries[key] = Entry(value: value, expiresAt: Self.expiry(ttlSeconds, now)) }
    }

    /// Whether the key was there (and not expired).
    func delete(_ key: String, now: Date) -> Bool {
        lock.withLock { entries.removeValue(forKey: key).map { $0.expiresAt.map { $0 > now } ?? true } ?? false }
    }

    /// The new value, or nil when the current one is not a decimal integer.
    func increment(_ key: String, by delta: Int64, ttlSeconds: Int64, now: Date) -> Int64? {
        lock.withLock {
            var entry = live(key, now) ?? Entry(value: Array("0".utf8), expiresAt: Self.expiry(ttlSeconds, now))
            guard let current = Int64(String(decoding: entry.value, as: UTF8.self)) else { return nil }
            let (sum, overflow) = current.addingReportingOverflow(delta)
            guard !overflow else { return nil }
            entry.value = Array(String(sum).utf8)
            entries[key] = entry
            return sum
        }
    }

    private func live(_ key: String, _ now: Date) -> Entry? {
        guard let entry = entries[key] else { return nil }
        if let expiresAt = entry.expiresAt, expiresAt <= now { return nil }
        return entry
    }

    private static func expiry(_ ttlSeconds: Int64, _ now: Date) -> Date? {
        ttlSeconds > 0 ? now.addingTimeInterval(TimeInterval(ttlSeconds)) : nil
    }
}
