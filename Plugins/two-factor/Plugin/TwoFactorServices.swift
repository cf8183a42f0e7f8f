import GatehouseJSON
import PluginKit

/// The services other plugins call (ABI 1.2): a second step of another plugin's sign-in (an
/// operator's console), which decides who may ask. Neither answers a secret.
/// - `status {userId}` → `{enabled}`: the user's `twoFactorEnabled` (false for an unknown user).
/// - `verify {userId, code}` → `{valid}`: a current TOTP code not used before, or an unused backup
///   code (used up), under the account lockout of the routes (a miss counts as a failure; 429
///   `ACCOUNT_TEMPORARILY_LOCKED` while locked). False for a user without two-factor on.
struct TwoFactorServices: Sendable {
    let verification: Verification

    /// `services[index]` of the manifest.
    static let names = ["status", "verify"]

    func answer(_ index: Int, _ request: JSONValue) throws -> JSONValue {
        let userID = request["userId"]?.stringValue ?? ""
        guard index == 1 else { return ["enabled": .bool(try enabled(userID))] }
        return ["valid": .bool(try verify(request["code"]?.stringValue ?? "", of: userID))]
    }

    private func enabled(_ userID: String) throws -> Bool {
        guard !userID.isEmpty else { return false }
        let user = try verification.context.host.call("users.find", ["id": .string(userID)])["user"]
        return user?["twoFactorEnabled"]?.boolValue == true
    }

    private func verify(_ code: String, of userID: String) throws -> Bool {
        guard try enabled(userID), var record = try verification.store.find(userID: userID) else { return false }
        let lockout = verification.lockout
        try lockout.check(record)
        let totp = !verification.context.settings.totpDisabled && record.verified
        if try totp && verification.totpMatches(code, record) || verification.useBackupCode(code, of: &record) {
            try lockout.recordSuccess(record)
            return true
        }
        try lockout.recordFailure(record)
        return false
    }
}
