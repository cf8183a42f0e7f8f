import Foundation
import GatehouseJSON
import PluginKit

/// "Trust this device": a signed `trust_device` cookie `<token>!<id>` whose token is
/// base64url(HMAC-SHA256(secret, "<userId>!<id>")), backed by a `trust-device-…` verification
/// row holding the user id. Each use rotates both (Better Auth's format), so a stolen cookie
/// stops working once the real device signs in again.
struct TrustedDevices: Sendable {
    static let prefix = "trust-device-"
    let context: TwoFactorContext

    /// Adds a new trusted device for `userID` to `answer`.
    func trust(userID: String, on answer: PluginAnswer) throws -> PluginAnswer {
        let identifier = Self.prefix + context.randomText(32)
        _ = try context.host.call("verifications.create", ["identifier": .string(identifier), "value": .string(userID),
                                                           "expiresIn": .int(context.settings.trustDeviceMaxAge)])
        let token = try context.failIfNil(token(userID: userID, identifier: identifier), "cannot sign a trusted-device token")
        return answer.cookie(CookieNames.trustDeviceBase, token + "!" + identifier, maxAge: context.settings.trustDeviceMaxAge, signed: true)
    }

    /// If the request comes from a device `userID` trusts, the answer that rotates its cookie;
    /// nil otherwise.
    func rotate(_ call: PluginCall, userID: String, on answer: PluginAnswer) throws -> PluginAnswer? {
        guard let cookie = call.cookie(context.cookies.trustDevice), let value = context.host.verify(cookie) else { return nil }
        let parts = value.split(separator: "!", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].hasPrefix(Self.prefix),
              let expected = token(userID: userID, identifier: String(parts[1])),
              ConstantTime.equal(Array(parts[0].utf8), Array(expected.utf8)),
              try context.host.call("verifications.consume", ["identifier": .string(String(parts[1]))])["value"]?.stringValue == userID
        else { return nil }
        return try trust(userID: userID, on: answer)
    }

    /// Forgets every device `userID` trusts (two-factor was disabled).
    func revokeAll(userID: String) throws {
        let rows = try context.db.findMany("verification", [PluginDatabase.equals("value", .string(userID))])
        let ids = rows.compactMap { row -> JSONValue? in
            guard row["identifier"]?.stringValue?.hasPrefix(Self.prefix) == true else { return nil }
            return row["id"]
        }
        if !ids.isEmpty { try context.db.delete("verification", [("id", "IN", .array(ids))]) }
    }

    private func token(userID: String, identifier: String) -> String? {
        context.host.hmac(.sha256, key: [], Array("\(userID)!\(identifier)".utf8)).map(Base64URL.encode)
    }
}
