import Foundation
import GatehouseStorage
import NIOConcurrencyHelpers

/// A limiter's verdict for one request.
enum RateLimitDecision: Sendable, Equatable {
    case allowed
    case limited(retryAfter: Int)
}

/// Where request counts live: process memory or the `rateLimit` table.
protocol RateLimitStore: Sendable {
    func hit(key: String, window: Int, max: Int, now: Int64) async throws -> RateLimitDecision
}

/// Better Auth's limiter: key `<ip>|<path>`, a fixed window from the last reset, and rules in
/// precedence order (built-in special rules, then plugin rules, then `customRules`).
struct RateLimiter: Sendable {
    static let specialRules: [(prefix: String, window: Int, max: Int)] = [
        ("/sign-in", 10, 3), ("/sign-up", 10, 3), ("/change-password", 10, 3), ("/change-email", 10, 3),
        ("/request-password-reset", 60, 3), ("/send-verification-email", 60, 3), ("/forget-password", 60, 3),
        ("/email-otp/send-verification-otp", 60, 3), ("/email-otp/request-password-reset", 60, 3),
    ]

    let store: any RateLimitStore
    let config: GatehouseConfig.RateLimit
    let pluginRules: [RateLimitRule]
    /// IPv6 clients share a bucket per network of this many bits.
    var ipv6Subnet = 64

    /// The (window, max) for `path`, or nil when limiting is off for it.
    func rule(for path: String) -> (window: Int, max: Int)? {
        var rule: (window: Int, max: Int)? = (config.window, config.max)
        if let special = Self.specialRules.first(where: { path.hasPrefix($0.prefix) }) { rule = (special.window, special.max) }
        if let plugin = pluginRules.first(where: { $0.matcher.matches(path) }) { rule = (plugin.window, plugin.max) }
        if let custom = config.customRules.first(where: { PathPattern($0.pattern).matches(path) }) { rule = custom.rule }
        return rule
    }

    func check(ip: String?, path: String) async throws -> RateLimitDecision {
        guard let rule = rule(for: path) else { return .allowed }
        let key = "\(ip.map { ClientAddress.rateLimitKey($0, ipv6Subnet: ipv6Subnet) } ?? "no-trusted-ip")|\(path)"
        return try await store.hit(key: key, window: rule.window, max: rule.max, now: Int64(Date().timeIntervalSince1970 * 1000))
    }
}

extension RateLimitDecision {
    /// Applies the window arithmetic to a counter: returns the decision and the new counter.
    static func step(count: Int, lastRequest: Int64?, window: Int, max: Int, now: Int64) -> (RateLimitDecision, count: Int, lastRequest: Int64) {
        let windowMillis = Int64(window) * 1000
        guard let lastRequest, now - lastRequest < windowMillis else { return (.allowed, 1, now) }
        if count >= max {
            let retry = Int((lastRequest + windowMillis - now + 999) / 1000)
            return (.limited(retryAfter: Swift.max(retry, 1)), count, lastRequest)
        }
        return (.allowed, count + 1, lastRequest)
    }
}

/// Counters in process memory, capped at 100 000 keys (expired ones are dropped first).
final class MemoryRateLimitStore: RateLimitStore {
    private let counters = NIOLockedValueBox([String: (count: Int, lastRequest: Int64, window: Int64)]())
    private let capacity = 100_000

    func hit(key: String, window: Int, max: Int, now: Int64) async throws -> RateLimitDecision {
        counters.withLockedValue { counters in
            if counters.count >= capacity {
                counters = counters.filter { now - $0.value.lastRequest < $0.value.window }
                if counters.count >= capacity { counters.removeAll() }
            }
            let current = counters[key]
            let (decision, count, last) = RateLimitDecision.step(
                count: current?.count ?? 0, lastRequest: current?.lastRequest, window: window, max: max, now: now)
            counters[key] = (count, last, Int64(window) * 1000)
            return decision
        }
    }
}

/// Counters in the `rateLimit` table, shared by every process on the same database.
struct DatabaseRateLimitStore: RateLimitStore {
    let database: any Database
    let adapter: Adapter

    func hit(key: String, window: Int, max: Int, now: Int64) async throws -> RateLimitDecision {
        try await database.transaction { tx in
            let adapter = self.adapter.using(tx)
            try await adapter.serialize(on: "rateLimit:" + key)
            let row = try await adapter.findOne("rateLimit", where: [Condition("key", .eq, .string(key))])
            let (decision, count, last) = RateLimitDecision.step(
                count: Int(row?.int("count") ?? 0), lastRequest: row?.int("lastRequest"), window: window, max: max, now: now)
            if let row {
                try await adapter.update("rateLimit", where: [Condition("id", .eq, .string(row.id))],
                                         set: ["count": .int(Int64(count)), "lastRequest": .int(last)])
            } else {
                try await adapter.create("rateLimit", ["key": .string(key), "count": .int(Int64(count)), "lastRequest": .int(last)])
            }
            return decision
        }
    }
}
