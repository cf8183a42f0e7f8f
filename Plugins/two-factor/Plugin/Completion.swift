import GatehouseJSON
import PluginKit

/// How a successful second factor ends: a challenge becomes a session (and optionally a
/// trusted device); a signed-in caller just gets its session back.
struct Completion: Sendable {
    let context: TwoFactorContext
    let attempts: ChallengeAttempts
    let trustedDevices: TrustedDevices

    /// `{token, user}`, as Better Auth answers every verify route.
    func finish(_ caller: Caller, trustDevice: Bool, createSession: Bool = true) throws -> PluginAnswer {
        switch caller {
        case .signedIn(let session, let user):
            return .json(["token": session["token"] ?? .null, "user": user])
        case .challenge(let challenge, let user):
            guard try attempts.close(challenge) else { throw TwoFactorError.invalidTwoFactorCookie.failure }
            var answer = PluginAnswer.json(["token": .null, "user": user]).expireCookie(CookieNames.twoFactorBase)
            guard createSession else { return answer }
            answer = answer.signIn(userID: challenge.userID, rememberMe: challenge.rememberMe, tokenKey: "token")
            return trustDevice ? try trustedDevices.trust(userID: challenge.userID, on: answer) : answer
        }
    }

    /// Replaces session `token` of `userID` with a new one (after enabling or disabling 2FA, so
    /// the session and its cached copy carry the new user state), as Better Auth does.
    func rotateSession(token: String, userID: String, _ call: PluginCall, on answer: PluginAnswer, tokenKey: String? = nil) throws -> PluginAnswer {
        _ = try context.host.call("sessions.delete", ["token": .string(token)])
        let dontRemember = call.cookie(context.cookies.dontRemember).flatMap(context.host.verify) != nil
        return answer.signIn(userID: userID, rememberMe: !dontRemember, tokenKey: tokenKey)
    }
}
