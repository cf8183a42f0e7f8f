import Foundation
import GatehouseJSON
import PluginKit

/// A sign-in waiting for its second factor: the `2fa-…` verification row named by the signed
/// `two_factor` cookie.
struct Challenge: Sendable {
    let identifier: String
    let userID: String
    /// False when the password sign-in asked not to be remembered (`dont_remember` cookie).
    let rememberMe: Bool
}

/// Who calls a verify/send route: a user finishing a sign-in challenge, or a signed-in user
/// (enrolment, step-up). A session wins when both are present, as in Better Auth.
enum Caller: Sendable {
    case signedIn(session: JSONValue, user: JSONValue)
    case challenge(Challenge, user: JSONValue)

    var user: JSONValue {
        switch self {
        case .signedIn(_, let user), .challenge(_, let user): user
        }
    }

    var userID: String { user["id"]?.stringValue ?? "" }
}

struct CallerResolver: Sendable {
    let context: TwoFactorContext

    func resolve(_ call: PluginCall) throws -> Caller {
        if let signedIn = try context.host.session(of: call) {
            return .signedIn(session: signedIn["session"] ?? .null, user: signedIn["user"] ?? .null)
        }
        let host = context.host
        guard let cookie = call.cookie(context.cookies.twoFactor),
              let identifier = host.verify(cookie), identifier.hasPrefix(ChallengeAttempts.challengePrefix),
              let userID = try host.call("verifications.find", ["identifier": .string(identifier)])["value"]?.stringValue,
              let user = try host.call("users.find", ["id": .string(userID)])["user"], !user.isNull
        else { throw TwoFactorError.invalidTwoFactorCookie.failure }
        let dontRemember = call.cookie(context.cookies.dontRemember).flatMap(host.verify) != nil
        return .challenge(Challenge(identifier: identifier, userID: userID, rememberMe: !dontRemember), user: user)
    }
}

/// The guesses one challenge allows (TOTP and backup codes), counted in a `2fa-attempts-…`
/// verification row next to the challenge. Each guess is reserved before it is checked, with a
/// compare-and-swap, so a burst of parallel requests cannot exceed the budget.
struct ChallengeAttempts: Sendable {
    static let challengePrefix = "2fa-"
    static let attemptsPrefix = "2fa-attempts-"
    let context: TwoFactorContext

    /// Starts a challenge for `userID`; returns its identifier (the `two_factor` cookie value).
    func open(userID: String) throws -> String {
        let nonce = context.randomText(20)
        let ttl = JSONValue.int(context.settings.challengeMaxAge)
        _ = try context.host.call("verifications.create", ["identifier": .string(Self.challengePrefix + nonce), "value": .string(userID), "expiresIn": ttl])
        _ = try context.host.call("verifications.create", ["identifier": .string(Self.attemptsPrefix + nonce), "value": "0", "expiresIn": ttl])
        return Self.challengePrefix + nonce
    }

    /// Reserves one guess; when the budget is spent the challenge is cancelled.
    func spend(_ challenge: Challenge) throws {
        let identifier = Self.attemptsIdentifier(challenge)
        for _ in 0..<20 {
            guard let row = try context.db.findOne("verification", [PluginDatabase.equals("identifier", .string(identifier))]),
                  let id = row["id"]?.stringValue, let value = row["value"]?.stringValue,
                  let expiresAt = ISODate.parse(row["expiresAt"]), expiresAt > Date()
            else { throw TwoFactorError.invalidTwoFactorCookie.failure }
            let used = Int(value) ?? context.settings.challengeAttempts
            if used >= context.settings.challengeAttempts {
                try cancel(challenge)
                throw TwoFactorError.tooManyAttempts.failure
            }
            let swapped = try context.db.update("verification", [PluginDatabase.equals("id", .string(id)), PluginDatabase.equals("value", .string(value))],
                                                ["value": .string(String(used + 1))])
            if swapped == 1 { return }
        }
        throw TwoFactorError.tooManyAttempts.failure
    }

    /// Uses the challenge up; false if another request finished it first.
    func close(_ challenge: Challenge) throws -> Bool {
        let value = try context.host.call("verifications.consume", ["identifier": .string(challenge.identifier)])["value"]
        try context.db.delete("verification", [PluginDatabase.equals("identifier", .string(Self.attemptsIdentifier(challenge)))])
        return value?.stringValue == challenge.userID
    }

    private func cancel(_ challenge: Challenge) throws {
        try context.db.delete("verification", [("identifier", "IN", [.string(challenge.identifier), .string(Self.attemptsIdentifier(challenge))])])
    }

    private static func attemptsIdentifier(_ challenge: Challenge) -> String {
        attemptsPrefix + challenge.identifier.dropFirst(challengePrefix.count)
    }
}
