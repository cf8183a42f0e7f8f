import Foundation
import GatehouseJSON
import PluginKit

/// One-time codes sent by email. A code lives in a `2fa-otp-…` verification row as
/// `<stored code>:<attempts>` for `otpOptions.period` minutes; the stored form is hashed by
/// default. Each guess is counted before it is checked (compare-and-swap on the row), and a
/// code that used up its attempts is deleted.
struct EmailCodes: Sendable {
    let context: TwoFactorContext

    func send(to caller: Caller) throws {
        let settings = context.settings
        guard let email = caller.user["email"]?.stringValue else { throw TwoFactorError.otpNotConfigured.failure }
        let code = context.randomText(settings.otpDigits, alphabet: RandomAlphabet.digits)
        let identifier = Self.identifier(for: caller)
        try context.db.delete("verification", [PluginDatabase.equals("identifier", .string(identifier))])
        _ = try context.host.call("verifications.create", ["identifier": .string(identifier), "value": .string(try store(code) + ":0"),
                                                           "expiresIn": .int(settings.otpPeriodMinutes * 60)])
        do {
            _ = try context.host.call("email.send", ["kind": .string(settings.otpEmailKind), "to": .string(email), "token": .string(code),
                                                     "context": ["otp": .string(code), "purpose": "two-factor",
                                                                 "expiresInMinutes": .int(settings.otpPeriodMinutes)]])
        } catch let error as PluginError where error.code == "EMAIL_NOT_CONFIGURED" {
            throw TwoFactorError.otpNotConfigured.failure
        }
    }

    /// Checks `code` against the caller's current code; `onWrongCode` runs before the refusal.
    func verify(_ code: String, for caller: Caller, onWrongCode: () throws -> Void) throws {
        let identifier = Self.identifier(for: caller)
        for _ in 0..<20 {
            guard let row = try context.db.findOne("verification", [PluginDatabase.equals("identifier", .string(identifier))]),
                  let id = row["id"]?.stringValue, let value = row["value"]?.stringValue,
                  let expiresAt = ISODate.parse(row["expiresAt"]), expiresAt > Date(),
                  let separator = value.lastIndex(of: ":")
            else { throw TwoFactorError.otpHasExpired.failure }
            let stored = String(value[..<separator])
            let attempts = Int(value[value.index(after: separator)...]) ?? context.settings.otpAllowedAttempts
            if attempts >= context.settings.otpAllowedAttempts {
                try context.db.delete("verification", [PluginDatabase.equals("id", .string(id))])
                throw TwoFactorError.tooManyAttempts.failure
            }
            let counted = try context.db.update("verification", [PluginDatabase.equals("id", .string(id)), PluginDatabase.equals("value", .string(value))],
                                                ["value": .string(stored + ":" + String(attempts + 1))])
            guard counted == 1 else { continue }
            guard try matches(code, stored) else {
                try onWrongCode()
                throw TwoFactorError.invalidCode.failure
            }
            try context.db.delete("verification", [PluginDatabase.equals("id", .string(id))])
            return
        }
        throw TwoFactorError.tooManyAttempts.failure
    }

    /// Codes of a challenge belong to it; a signed-in user's to the user and session.
    private static func identifier(for caller: Caller) -> String {
        switch caller {
        case .challenge(let challenge, _):
            "2fa-otp-" + challenge.identifier.dropFirst(ChallengeAttempts.challengePrefix.count)
        case .signedIn(let session, let user):
            "2fa-otp-\(user["id"]?.stringValue ?? "")!\(session["id"]?.stringValue ?? "")"
        }
    }

    private func store(_ code: String) throws -> String {
        switch context.settings.otpStorage {
        case .plain: return code
        case .hashed: return try hash(code)
        case .encrypted: return try context.failIfNil(context.host.encrypt(code), "cannot encrypt a one-time code")
        }
    }

    private func matches(_ code: String, _ stored: String) throws -> Bool {
        let expected: String
        switch context.settings.otpStorage {
        case .plain: expected = stored
        case .hashed: return ConstantTime.equal(Array(try hash(code).utf8), Array(stored.utf8))
        case .encrypted: expected = context.host.decrypt(stored) ?? ""
        }
        return ConstantTime.equal(Array(code.utf8), Array(expected.utf8))
    }

    /// HMAC-SHA256 under the server secret, so a leaked row does not give the code away.
    private func hash(_ code: String) throws -> String {
        try context.failIfNil(context.host.hmac(.sha256, key: [], Array(code.utf8)).map(Base64URL.encode), "cannot hash a one-time code")
    }
}
