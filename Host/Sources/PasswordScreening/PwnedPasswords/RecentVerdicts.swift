import Crypto
import Foundation

/// The range API's verdicts of the last minute, so a password checked twice in one request (a
/// plugin's `passwords.check`, then `users.resetPassword`) costs one lookup and gets one answer:
/// a timeout the first time and "breached" the second would refuse a password after its reset
/// code was used up. Keyed by an HMAC under a key that never leaves the process; also bounds the
/// lookups in flight, so unauthenticated requests cannot pile up outbound connections.
final class RecentVerdicts: @unchecked Sendable {
    static let lifetime: TimeInterval = 60
    static let capacity = 4096
    static let maxInFlight = 64

    private let key = SymmetricKey(size: .bits256)
    private let lock = NSLock()
    private var verdicts: [Data: (verdict: PwnedPasswordsRange.Verdict, expires: Date)] = [:]
    private var inFlight = 0

    func entryKey(_ password: String) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Array(password.utf8), using: key))
    }

    func verdict(_ key: Data) -> PwnedPasswordsRange.Verdict? {
        lock.withLock {
            guard let entry = verdicts[key], entry.expires > Date() else { return nil }
            return entry.verdict
        }
    }

    func remember(_ verdict: PwnedPasswordsRange.Verdict, _ key: Data) {
        lock.withLock {
            let now = Date()
            if verdicts.count >= Self.capacity { verdicts = verdicts.filter { $0.value.expires > now } }
            if verdicts.count >= Self.capacity { verdicts.removeAll() }
            verdicts[key] = (verdict, now.addingTimeInterval(Self.lifetime))
        }
    }

    /// Takes a lookup slot; false when `maxInFlight` are already out.
    func begin() -> Bool {
        lock.withLock {
            guard inFlight < Self.maxInFlight else { return false }
            inFlight += 1
            return true
        }
    }

    func end() { lock.withLock { inFlight -= 1 } }
}
