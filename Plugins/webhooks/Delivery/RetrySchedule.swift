/// When a failed delivery is tried again: after attempt `n` fails, the next one waits
/// min(maxDelay, initialDelay·2^(n−1)), moved by up to ±jitter of itself so that deliveries that
/// failed together do not all come back together. `maxAttempts` counts the first attempt.
public struct RetrySchedule: Sendable, Equatable {
    public let maxAttempts: Int
    /// Seconds.
    public let initialDelay: Double
    /// Seconds.
    public let maxDelay: Double
    /// A fraction of the delay, 0 to 1.
    public let jitter: Double

    public init(maxAttempts: Int = 8, initialDelay: Double = 5, maxDelay: Double = 36_000, jitter: Double = 0.2) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    /// The delay before the attempt after failed attempt `attempt` (1-based), without jitter.
    public func baseDelay(afterAttempt attempt: Int) -> Double {
        // 2^(n−1) grows past any maxDelay long before it overflows; stop doubling there.
        var delay = initialDelay
        for _ in 1..<max(1, attempt) where delay < maxDelay { delay *= 2 }
        return min(maxDelay, delay)
    }

    /// The delay with jitter; `unit` is a random number in −1…1 (−1: the shortest wait).
    public func delay(afterAttempt attempt: Int, unit: Double) -> Double {
        let base = baseDelay(afterAttempt: attempt)
        return max(0, base + base * jitter * min(1, max(-1, unit)))
    }

    /// Whether attempt `attempt` failing leaves none: the delivery is dead.
    public func isExhausted(afterAttempt attempt: Int) -> Bool {
        attempt >= maxAttempts
    }
}
