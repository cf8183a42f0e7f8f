import Foundation
import GatehouseJSON
import PluginKit

/// The after-hook on sign-in routes: a user with two-factor on gets no session from the first
/// factor alone. A trusted device keeps its session (and gets a rotated cookie); otherwise the
/// session is deleted and the answer becomes `{twoFactorRedirect: true, twoFactorMethods}` with
/// a signed `two_factor` challenge cookie.
struct SignInInterception: Sendable {
    let context: TwoFactorContext
    let store: TwoFactorStore
    let attempts: ChallengeAttempts
    let trustedDevices: TrustedDevices

    init(_ context: TwoFactorContext) {
        self.context = context
        store = TwoFactorStore(db: context.db)
        attempts = ChallengeAttempts(context: context)
        trustedDevices = TrustedDevices(context: context)
    }

    func intercept(_ call: PluginCall) throws -> PluginAnswer {
        guard let user = call.newSession?["user"], user["twoFactorEnabled"]?.boolValue == true, let userID = user["id"]?.stringValue else {
            return .keep
        }
        if let trusted = try trustedDevices.rotate(call, userID: userID, on: .keep) { return trusted }

        let challenge = try attempts.open(userID: userID)
        var methods: [JSONValue] = []
        if !context.settings.totpDisabled, try store.find(userID: userID)?.verified == true { methods.append("totp") }
        if context.otpAvailable { methods.append("otp") }

        var answer: PluginAnswer
        if let status = call.response?["status"]?.intValue, (300..<400).contains(status),
           let location = call.response?["headers"]?["location"]?.stringValue {
            // A browser flow (OAuth callback, magic link): send it to the second-factor page.
            answer = PluginAnswer.status(302).header("location", context.settings.twoFactorPage ?? Self.flagging(location))
        } else {
            answer = PluginAnswer.json(["twoFactorRedirect": true, "twoFactorMethods": .array(methods)])
        }
        answer = answer.replace().clearSession().cookie(CookieNames.twoFactorBase, challenge, maxAge: context.settings.challengeMaxAge, signed: true)
        if call.cookie(context.cookies.trustDevice) != nil { answer = answer.expireCookie(CookieNames.trustDeviceBase) }
        return answer
    }

    /// `location` with `twoFactorRedirect=true` added to its query.
    static func flagging(_ location: String) -> String {
        let fragment = location.firstIndex(of: "#").map { String(location[$0...]) } ?? ""
        let base = String(location.dropLast(fragment.count))
        return base + (base.contains("?") ? "&" : "?") + "twoFactorRedirect=true" + fragment
    }
}
