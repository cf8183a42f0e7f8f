import Foundation
import GatehouseJSON
import PluginKit

/// One row of the `twoFactor` table. `secret` and `backupCodes` are stored encrypted
/// (Better Auth's `symmetricEncrypt`), exactly as Better Auth stores them.
struct TwoFactorRecord: Sendable {
    let id: String
    let userID: String
    let secret: String
    let backupCodes: String
    let verified: Bool
    let failedVerificationCount: Int?
    let lockedUntil: Date?
    let lastUsedStep: Int?

    init?(_ row: JSONValue?) {
        guard let row, let id = row["id"]?.stringValue, let userID = row["userId"]?.stringValue else { return nil }
        self.id = id
        self.userID = userID
        secret = row["secret"]?.stringValue ?? ""
        backupCodes = row["backupCodes"]?.stringValue ?? ""
        // Rows migrated from before the column existed count as verified, as in Better Auth.
        verified = row["verified"]?.boolValue ?? true
        failedVerificationCount = row["failedVerificationCount"]?.intValue
        lockedUntil = ISODate.parse(row["lockedUntil"])
        lastUsedStep = row["lastUsedStep"]?.intValue
    }
}

/// Reads and writes of the `twoFactor` table. Every change that must not be lost to a
/// concurrent request (a used TOTP step, a used backup code, the failure count) is a
/// compare-and-swap: an update conditioned on the value that was read.
struct TwoFactorStore: Sendable {
    static let table = "twoFactor"
    let db: PluginDatabase

    func find(userID: String) throws -> TwoFactorRecord? {
        TwoFactorRecord(try db.findOne(Self.table, [PluginDatabase.equals("userId", .string(userID))]))
    }

    /// Stores a new secret and new backup codes, keeping the lockout state of an existing row.
    func save(userID: String, secret: String, backupCodes: String, verified: Bool) throws {
        let data: JSONValue = ["secret": .string(secret), "backupCodes": .string(backupCodes), "verified": .bool(verified),
                               "lastUsedStep": .null]
        if try db.update(Self.table, [PluginDatabase.equals("userId", .string(userID))], data) == 0 {
            try db.create(Self.table, ["userId": .string(userID), "secret": .string(secret), "backupCodes": .string(backupCodes),
                                       "verified": .bool(verified), "failedVerificationCount": 0])
        }
    }

    func markVerified(_ record: TwoFactorRecord) throws {
        try db.update(Self.table, [PluginDatabase.equals("id", .string(record.id))], ["verified": true])
    }

    func delete(userID: String) throws {
        try db.delete(Self.table, [PluginDatabase.equals("userId", .string(userID))])
    }

    /// Records `step` as used; false when it (or a later step) was already used, i.e. a replay.
    func claim(step: UInt64, of record: TwoFactorRecord) throws -> Bool {
        let id = PluginDatabase.equals("id", .string(record.id))
        let data: JSONValue = ["lastUsedStep": .int(Int(step))]
        if try db.update(Self.table, [id, ("lastUsedStep", "=", .null)], data) == 1 { return true }
        return try db.update(Self.table, [id, ("lastUsedStep", "<", .int(Int(step)))], data) == 1
    }

    /// Replaces the backup codes only if they are still `expected`; false if another request
    /// changed them first.
    func swapBackupCodes(of record: TwoFactorRecord, expected: String, with replacement: String) throws -> Bool {
        try db.update(Self.table, [PluginDatabase.equals("id", .string(record.id)), PluginDatabase.equals("backupCodes", .string(expected))],
                      ["backupCodes": .string(replacement)]) == 1
    }

    func replaceBackupCodes(of record: TwoFactorRecord, with replacement: String) throws {
        try db.update(Self.table, [PluginDatabase.equals("id", .string(record.id))], ["backupCodes": .string(replacement)])
    }

    /// Sets the failure count from `old` to `new` (and the lock); false if it changed meanwhile.
    func swapFailures(of record: TwoFactorRecord, from old: Int?, to new: Int, lockedUntil: Date?) throws -> Bool {
        var data: JSONValue = ["failedVerificationCount": .int(new)]
        if let lockedUntil { data = ["failedVerificationCount": .int(new), "lockedUntil": .string(ISODate.format(lockedUntil))] }
        return try db.update(Self.table, [PluginDatabase.equals("id", .string(record.id)),
                                          PluginDatabase.equals("failedVerificationCount", old.map(JSONValue.int) ?? .null)], data) == 1
    }

    func current(_ record: TwoFactorRecord) throws -> TwoFactorRecord? {
        TwoFactorRecord(try db.findOne(Self.table, [PluginDatabase.equals("id", .string(record.id))]))
    }
}
