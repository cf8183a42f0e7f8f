import Foundation
import GatehouseJSON
import PluginKit

/// Codes in the core `verification` table, stored as Better Auth stores them: identifier
/// `<type>-otp-<email>`, value `<stored code>:<wrong attempts>`, expiring `expiresIn` seconds after
/// they were made. Every change to a row is a compare-and-swap on its id and old value, so two
/// requests racing on one code can neither both count as the same attempt nor both use it.
struct OTPStore: Sendable {
    let context: EmailOTPContext

    private var settings: EmailOTPSettings { context.settings }
    private var db: PluginDatabase { context.db }
    /// When a code made or mailed again now expires.
    private var freshExpiry: String { ISODate.format(Date().addingTimeInterval(TimeInterval(settings.expiresIn))) }

    static func identifier(type: String, email: String) -> String { "\(type)-otp-\(email)" }

    /// A fresh code of `otpLength` digits from the host's CSPRNG.
    func generate() -> String {
        context.host.randomText(settings.otpLength, alphabet: "0123456789")
    }

    /// The code to mail for `identifier`, saved: the current one again when `resendStrategy` is
    /// `reuse` and it is still good, otherwise `fresh`, replacing every earlier code.
    func save(_ fresh: String, prepared stored: String, identifier: String) throws -> String {
        if settings.resendStrategy == .reuse, let reused = try reuse(identifier) { return reused }
        let operations: [JSONValue] = [
            ["op": "db.delete", "table": "verification", "where": [["field": "identifier", "value": .string(identifier)]]],
            ["op": "db.create", "table": "verification",
             "data": ["identifier": .string(identifier), "value": .string(stored + ":0"), "expiresAt": .string(freshExpiry)]],
        ]
        _ = try context.call("db.transaction", ["operations": .array(operations)])
        return fresh
    }

    /// Removes every code for `identifier` (a request for an address that gets no mail).
    func discard(_ identifier: String) throws {
        try context.guarded("db.delete") { try db.delete("verification", [PluginDatabase.equals("identifier", .string(identifier))]) }
    }

    /// The form a code is stored in.
    func stored(_ code: String) throws -> String {
        switch settings.storeOTP {
        case .plain: return code
        case .hashed: return try context.host.hashedKey(code)
        case .encrypted:
            guard let sealed = context.host.encrypt(code) else { throw context.hostFailure("encrypt", PluginError(status: 500, code: "HOST_ERROR", message: "")) }
            return sealed
        }
    }

    enum Use { case consume, check }

    /// Checks `code` against the newest code for `identifier`: 400 `INVALID_OTP` when there is
    /// none or it differs (a wrong code counts as an attempt), 400 `OTP_EXPIRED` when it has
    /// expired (and deletes it), 403 `TOO_MANY_ATTEMPTS` once `allowedAttempts` wrong codes were
    /// tried (and deletes it, so later tries are `INVALID_OTP`). A right code is deleted with
    /// every older one for `.consume`, and left in place for `.check`.
    func verify(_ code: String, identifier: String, _ use: Use) throws {
        // Each lost compare-and-swap means another request changed the row (counted an attempt,
        // used or replaced the code), so the loop ends within a few rounds.
        for _ in 0..<(settings.allowedAttempts + 16) {
            guard let row = try newest(identifier), let id = row["id"]?.stringValue, let value = row["value"]?.stringValue else {
                throw EmailOTPError.invalidOTP.failure
            }
            let thisRow = [PluginDatabase.equals("id", .string(id))]
            guard let expiresAt = ISODate.parse(row["expiresAt"]), expiresAt > Date() else {
                try context.guarded("db.delete") { try db.delete("verification", thisRow) }
                throw EmailOTPError.otpExpired.failure
            }
            let (stored, attempts) = Self.split(value)
            guard let attempts, attempts < settings.allowedAttempts else {
                try context.guarded("db.delete") { try db.delete("verification", thisRow) }
                throw EmailOTPError.tooManyAttempts.failure
            }
            let unchanged = thisRow + [PluginDatabase.equals("value", .string(value))]
            guard try matches(code, stored: stored) else {
                let counted = try context.guarded("db.update") {
                    try db.update("verification", unchanged, ["value": .string("\(stored):\(attempts + 1)")])
                }
                if counted == 1 { throw EmailOTPError.invalidOTP.failure }
                continue
            }
            switch use {
            case .check:
                return
            case .consume:
                guard try context.guarded("db.delete", { try db.delete("verification", unchanged) }) == 1 else { continue }
                // Codes mailed before this one die with it.
                if let createdAt = row["createdAt"]?.nonNull {
                    try context.guarded("db.delete") {
                        try db.delete("verification", [PluginDatabase.equals("identifier", .string(identifier)), ("createdAt", "<=", createdAt)])
                    }
                }
                return
            }
        }
        throw EmailOTPError.invalidOTP.failure
    }

    // MARK: Rows

    private func newest(_ identifier: String) throws -> JSONValue? {
        try context.guarded("db.findMany") {
            try db.findMany("verification", [PluginDatabase.equals("identifier", .string(identifier))], orderBy: "createdAt",
                            descending: true, limit: 1).first
        }
    }

    /// `stored:attempts`, split at the last colon as Better Auth does; attempts are nil when not
    /// a count (such a row is treated as used up).
    static func split(_ value: String) -> (stored: String, attempts: Int?) {
        guard let colon = value.lastIndex(of: ":") else { return (value, 0) }
        let count = value[value.index(after: colon)...]
        return (String(value[..<colon]), count.isEmpty ? 0 : Int(count).flatMap { $0 >= 0 ? $0 : nil })
    }

    /// The current code again, its life extended, when it is recoverable (plain or encrypted),
    /// unexpired and has attempts left; nil otherwise.
    private func reuse(_ identifier: String) throws -> String? {
        guard settings.storeOTP != .hashed, let row = try newest(identifier), let id = row["id"]?.stringValue,
              let value = row["value"]?.stringValue, let expiresAt = ISODate.parse(row["expiresAt"]), expiresAt > Date()
        else { return nil }
        let (stored, attempts) = Self.split(value)
        guard let attempts, attempts < settings.allowedAttempts else { return nil }
        let code: String? = settings.storeOTP == .encrypted ? context.host.decrypt(stored) : stored
        guard let code, code.count == settings.otpLength, code.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        let updated = try context.guarded("db.update") {
            try db.update("verification", [PluginDatabase.equals("id", .string(id)), PluginDatabase.equals("value", .string(value))],
                          ["expiresAt": .string(freshExpiry)])
        }
        return updated == 1 ? code : nil
    }

    // MARK: Stored forms

    private func matches(_ code: String, stored: String) throws -> Bool {
        switch settings.storeOTP {
        case .plain: return ConstantTime.equal(code, stored)
        case .hashed: return ConstantTime.equal(try context.host.hashedKey(code), stored)
        case .encrypted:
            // A row that does not decrypt (another secret) matches nothing.
            guard let plain = context.host.decrypt(stored) else { return false }
            return ConstantTime.equal(code, plain)
        }
    }

}
