import GatehouseJSON
import PluginKit

/// The challenge of one ceremony: a verification row named by a random key, which a signed
/// challenge cookie carries (Better Auth's `better-auth-passkey` cookie). Single use, 5 minutes.
struct Challenges: Sendable {
    let host: PluginHost
    let settings: PasskeySettings
    let cookieName: String

    init(host: PluginHost, settings: PasskeySettings) {
        self.host = host
        self.settings = settings
        cookieName = host.cookieName(settings.challengeCookie)
    }

    /// A new challenge for `userID` (empty: anyone): the challenge, and `answer` (built from it)
    /// with the challenge cookie set.
    func issue(kind: String, userID: String, answer: (String) -> PluginAnswer) throws -> PluginAnswer {
        let challenge = Base64URL.encode(host.randomBytes(32))
        let key = host.randomText(32, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let value: JSONValue = ["type": .string(kind), "expectedChallenge": .string(challenge), "userData": ["id": .string(userID)]]
        _ = try host.call("verifications.create", ["identifier": .string(key), "value": .string(value.serialized()),
                                                   "expiresIn": .int(settings.challengeMaxAge)])
        return answer(challenge).cookie(settings.challengeCookie, key, maxAge: settings.challengeMaxAge, signed: true)
    }

    /// Uses up the request's challenge of `kind`: `(challenge, userID)`.
    func take(_ call: PluginCall, kind: String) throws -> (challenge: String, userID: String) {
        guard let cookie = call.cookie(cookieName), let key = host.verify(cookie),
              let stored = try host.call("verifications.consume", ["identifier": .string(key)])["value"]?.stringValue,
              let value = try? JSONValue.parse(stored), value["type"]?.stringValue == kind,
              let challenge = value["expectedChallenge"]?.stringValue
        else { throw PasskeyError.challengeNotFound.failure }
        return (challenge, value["userData"]?["id"]?.stringValue ?? "")
    }
}
