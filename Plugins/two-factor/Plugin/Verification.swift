import Foundation
import GatehouseJSON
import PluginKit

/// The second-factor routes: verify-totp, send-otp, verify-otp and verify-backup-code. Each
/// serves a sign-in challenge (the `two_factor` cookie) or a signed-in user.
struct Verification: Sendable {
    let context: TwoFactorContext
    let callers: CallerResolver
    let store: TwoFactorStore
    let lockout: AccountLockout
    let attempts: ChallengeAttempts
    let backupCodes: BackupCodes
    let emailCodes: EmailCodes
    let completion: Completion

    init(_ context: TwoFactorContext) {
        self.context = context
        callers = CallerResolver(context: context)
        store = TwoFactorStore(db: context.db)
        lockout = AccountLockout(context: context, store: store)
        attempts = ChallengeAttempts(context: context)
        backupCodes = BackupCodes(context: context)
        emailCodes = EmailCodes(context: context)
        completion = Completion(context: context, attempts: attempts, trustedDevices: TrustedDevices(context: context))
    }

    func verifyTOTP(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try callers.resolve(call)
        guard !context.settings.totpDisabled else { throw TwoFactorError.totpNotConfigured.failure }
        // A secret the user has not confirmed yet can only be confirmed while signed in.
        guard let record = try store.find(userID: caller.userID), record.verified || caller.isSignedIn else {
            throw TwoFactorError.totpNotEnabled.failure
        }
        try lockout.check(record)
        if case .challenge(let challenge, _) = caller { try attempts.spend(challenge) }
        guard try totpMatches(call.body["code"]?.stringValue ?? "", record) else {
            try lockout.recordFailure(record)
            throw TwoFactorError.invalidCode.failure
        }
        try lockout.recordSuccess(record)
        if case .signedIn(let session, let user) = caller, !record.verified || user["twoFactorEnabled"]?.boolValue != true {
            // Enrolment: the first good code turns two-factor on.
            try store.markVerified(record)
            let updated = try context.host.call("users.update", ["id": .string(record.userID), "data": ["twoFactorEnabled": true]])["user"]
            if user["twoFactorEnabled"]?.boolValue != true { context.announce(enabled: true, userID: record.userID) }
            return try completion.rotateSession(token: session["token"]?.stringValue ?? "", userID: record.userID, call,
                                                on: .json(["token": .null, "user": updated ?? user]), tokenKey: "token")
        }
        return try completion.finish(caller, trustDevice: call.body["trustDevice"]?.boolValue ?? false)
    }

    func sendOTP(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try callers.resolve(call)
        guard context.otpAvailable else { throw TwoFactorError.otpNotConfigured.failure }
        try lockout.check(try store.find(userID: caller.userID))
        try emailCodes.send(to: caller)
        return .json(["status": true])
    }

    func verifyOTP(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try callers.resolve(call)
        guard context.otpAvailable else { throw TwoFactorError.otpNotConfigured.failure }
        let record = try store.find(userID: caller.userID)
        try lockout.check(record)
        try emailCodes.verify(call.body["code"]?.stringValue ?? "", for: caller) { try lockout.recordFailure(record) }
        try lockout.recordSuccess(record)
        return try completion.finish(caller, trustDevice: call.body["trustDevice"]?.boolValue ?? false)
    }

    func verifyBackupCode(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try callers.resolve(call)
        guard var record = try store.find(userID: caller.userID) else { throw TwoFactorError.backupCodesNotEnabled.failure }
        try lockout.check(record)
        if case .challenge(let challenge, _) = caller { try attempts.spend(challenge) }
        guard try useBackupCode(call.body["code"]?.stringValue ?? "", of: &record) else {
            try lockout.recordFailure(record)
            throw TwoFactorError.invalidBackupCode.failure
        }
        try lockout.recordSuccess(record)
        return try completion.finish(caller, trustDevice: call.body["trustDevice"]?.boolValue ?? false,
                                     createSession: call.body["disableSession"]?.boolValue != true)
    }

    /// Whether `code` is a current TOTP code of `record` whose time step was not used before (it is now).
    func totpMatches(_ code: String, _ record: TwoFactorRecord) throws -> Bool {
        let secret = try context.failIfNil(context.host.decrypt(record.secret), "cannot decrypt the TOTP secret of user \(record.userID)")
        guard let step = context.totp(secret: secret).matchingStep(of: code, at: Date()) else { return false }
        return try store.claim(step: step, of: record)
    }

    /// Whether `code` is one of `record`'s backup codes, used up if so; `record` is left as last read.
    func useBackupCode(_ code: String, of record: inout TwoFactorRecord) throws -> Bool {
        // Retried when another request used a different code of the same user at the same time.
        for _ in 0..<5 {
            let codes = try context.failIfNil(backupCodes.open(record.backupCodes), "cannot read the backup codes of user \(record.userID)")
            guard let position = backupCodes.position(of: code, in: codes) else { return false }
            var remaining = codes
            remaining.remove(at: position)
            if try store.swapBackupCodes(of: record, expected: record.backupCodes, with: try backupCodes.seal(remaining)) { return true }
            guard let fresh = try store.current(record) else { return false }
            record = fresh
        }
        return false
    }
}

extension Caller {
    var isSignedIn: Bool {
        if case .signedIn = self { return true }
        return false
    }
}
