import Foundation
import GatehouseJSON
import PluginKit

/// The second sign-in step of an administrator with two-factor authentication: a random
/// challenge id in the code form's hidden field, standing for "this user's password was right"
/// for 5 minutes and 5 codes. It is kept as a `verification` row named by the id's SHA-256, so it
/// is taken atomically (`verifications.consume`): two requests with the same id never both use
/// it, and a used one is gone.
struct SignInChallenges: Sendable {
    static let lifetime = 300
    static let maximumAttempts = 5

    let host: PluginHost

    struct Challenge: Sendable {
        let id: String
        let userID: String
        let attempts: Int
        let expiresAt: Date
    }

    /// A new challenge for `userID`.
    func create(userID: String) throws -> Challenge {
        let id = host.randomText(32, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let challenge = Challenge(id: id, userID: userID, attempts: 0, expiresAt: Date().addingTimeInterval(TimeInterval(Self.lifetime)))
        try store(challenge)
        return challenge
    }

    /// The challenge named `id`, taken: nil when unknown, used or expired.
    func take(_ id: String) throws -> Challenge? {
        guard !id.isEmpty, id.count <= 64 else { return nil }
        guard let text = try host.call("verifications.consume", ["identifier": .string(try identifier(id))])["value"]?.stringValue,
              let value = try? JSONValue.parse(Array(text.utf8)),
              let userID = value["userId"]?.stringValue, let attempts = value["attempts"]?.intValue,
              let expiresAt = ISODate.parse(value["expiresAt"]), expiresAt > Date()
        else { return nil }
        return Challenge(id: id, userID: userID, attempts: attempts, expiresAt: expiresAt)
    }

    /// Puts a challenge back after a wrong code, one attempt more; nil once the attempts are used
    /// up or its time is (then the user starts again from the password).
    func retry(_ challenge: Challenge) throws -> Challenge? {
        let next = Challenge(id: challenge.id, userID: challenge.userID, attempts: challenge.attempts + 1, expiresAt: challenge.expiresAt)
        guard next.attempts < Self.maximumAttempts, next.expiresAt.timeIntervalSinceNow >= 1 else { return nil }
        try store(next)
        return next
    }

    private func store(_ challenge: Challenge) throws {
        let value: JSONValue = ["userId": .string(challenge.userID), "attempts": .int(challenge.attempts),
                                "expiresAt": .string(ISODate.format(challenge.expiresAt))]
        _ = try host.call("verifications.create", [
            "identifier": .string(try identifier(challenge.id)), "value": .string(value.serialized()),
            "expiresIn": .int(max(1, Int(challenge.expiresAt.timeIntervalSinceNow.rounded(.down)))),
        ])
    }

    /// The row's name: the id itself never reaches the database.
    private func identifier(_ id: String) throws -> String { "console-sign-in:" + (try host.hashedKey(id)) }
}
