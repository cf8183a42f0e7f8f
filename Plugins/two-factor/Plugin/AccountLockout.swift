import Foundation
import PluginKit

/// Consecutive failed second-factor checks per account, across challenges and factors
/// (NIST SP 800-63B §5.2.2). Reaching the limit locks verification for a while; a success
/// resets the count. Users with no `twoFactor` row (email OTP only, enabled by Better Auth)
/// have nowhere to keep the count and are covered by the per-code limits alone.
struct AccountLockout: Sendable {
    let context: TwoFactorContext
    let store: TwoFactorStore

    func check(_ record: TwoFactorRecord?) throws {
        guard context.settings.lockoutEnabled, let until = record?.lockedUntil, until > Date() else { return }
        let minutes = max(1, Int((until.timeIntervalSinceNow / 60).rounded(.up)))
        throw TwoFactorError.accountLocked.failure(
            message: "Too many failed two-factor attempts. Two-factor verification is locked for \(minutes) more minute\(minutes == 1 ? "" : "s").")
    }

    func recordFailure(_ record: TwoFactorRecord?) throws {
        guard context.settings.lockoutEnabled, var current = record else { return }
        for _ in 0..<20 {
            let failures = (current.failedVerificationCount ?? 0) + 1
            if failures >= context.settings.lockoutMaxFailures {
                let until = Date().addingTimeInterval(TimeInterval(context.settings.lockoutSeconds))
                if try store.swapFailures(of: current, from: current.failedVerificationCount, to: 0, lockedUntil: until) {
                    context.host.log(.warning, "two-factor verification locked for user \(current.userID) until \(ISODate.format(until)) after \(failures) consecutive failures")
                    return
                }
            } else if try store.swapFailures(of: current, from: current.failedVerificationCount, to: failures, lockedUntil: nil) {
                return
            }
            guard let fresh = try store.current(current) else { return }
            current = fresh
        }
    }

    func recordSuccess(_ record: TwoFactorRecord?) throws {
        guard let record, let failures = record.failedVerificationCount, failures != 0 else { return }
        _ = try store.swapFailures(of: record, from: failures, to: 0, lockedUntil: nil)
    }
}
