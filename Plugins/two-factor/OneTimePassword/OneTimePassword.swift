import Foundation

/// HOTP (RFC 4226) and TOTP (RFC 6238) codes. The HMAC is passed in, so the algorithm carries no
/// crypto library: the plugin uses the host's HMAC-SHA1, the tests swift-crypto's.
public struct OneTimePassword: Sendable {
    public typealias HMAC = @Sendable (_ key: [UInt8], _ message: [UInt8]) -> [UInt8]

    public let key: [UInt8]
    public let digits: Int
    public let period: Int
    private let hmac: HMAC

    public init(key: [UInt8], digits: Int = 6, period: Int = 30, hmac: @escaping HMAC) {
        precondition((6...8).contains(digits) && period > 0, "digits must be 6...8 and period positive")
        self.key = key
        self.digits = digits
        self.period = period
        self.hmac = hmac
    }

    /// The HOTP code for `counter`: dynamic truncation of HMAC(key, counter as 8 big-endian bytes).
    public func hotp(counter: UInt64) -> String {
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * $0)) }
        let mac = hmac(key, message)
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let code = String(binary % modulus)
        return String(repeating: "0", count: digits - code.count) + code
    }

    /// The TOTP time step that contains `date`.
    public func step(at date: Date) -> UInt64 {
        UInt64(max(0, date.timeIntervalSince1970) / Double(period))
    }

    public func totp(at date: Date) -> String { hotp(counter: step(at: date)) }

    /// The time step whose code is `code`, looking `window` steps either side of `date` (clock
    /// drift). Every candidate is compared in constant time, so timing reveals nothing.
    public func matchingStep(of code: String, at date: Date, window: Int = 1) -> UInt64? {
        guard code.utf8.count == digits, code.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        let now = step(at: date)
        var found: UInt64?
        for offset in -window...window {
            let (candidate, overflow) = offset < 0 ? now.subtractingReportingOverflow(UInt64(-offset)) : now.addingReportingOverflow(UInt64(offset))
            if !overflow, ConstantTime.equal(Array(hotp(counter: candidate).utf8), Array(code.utf8)), found == nil { found = candidate }
        }
        return found
    }
}

/// Comparison whose time depends only on the lengths, not on where the inputs differ.
enum ConstantTime {
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
