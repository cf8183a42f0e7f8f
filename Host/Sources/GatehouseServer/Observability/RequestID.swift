import GatehouseCrypto
import NIOConcurrencyHelpers

/// Request ids (`x-request-id`, the logs' `request_id`): a random prefix drawn at start, then a
/// counter (8 hex digits, more past 2³² requests), unique within the process and, by the
/// prefix, across processes. They are not secrets, so a counter does instead of drawing random
/// bytes (a system call) on every request.
enum RequestID {
    private static let prefix = RandomIdentifier.generate(length: 8)
    private static let counter = NIOLockedValueBox<UInt64>(0)

    static func next() -> String {
        let number = counter.withLockedValue { value in
            value &+= 1
            return value
        }
        let digits = String(number, radix: 16)
        return prefix + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
