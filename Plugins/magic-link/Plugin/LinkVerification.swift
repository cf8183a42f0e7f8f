import GatehouseJSON
import PluginKit

/// Where `GET /magic-link/verify` sends the browser, resolved as Better Auth resolves them against
/// the base URL: `callbackURL` (default `/`), `newUserCallbackURL` and `errorCallbackURL` (both
/// default to the callback URL). The host has checked every given value against the trusted
/// origins before the plugin runs (403 `INVALID_CALLBACK_URL`, …), and the values are used exactly
/// as the host checked them: unlike Better Auth, never percent-decoded a second time.
struct RedirectTargets: Sendable {
    let callback: String
    let newUser: String
    let error: String

    init(_ call: PluginCall, origin: String) {
        callback = URLText.resolve(call.query("callbackURL"), origin: origin) ?? origin + "/"
        newUser = URLText.resolve(call.query("newUserCallbackURL"), origin: origin) ?? callback
        error = URLText.resolve(call.query("errorCallbackURL"), origin: origin) ?? callback
    }

    /// 302 to the error URL with `error=<code>` set as `URLSearchParams.set` sets it.
    func failure(_ failure: VerifyFailure) -> PluginAnswer {
        PluginAnswer.status(302).header("location", URLText.setting("error", to: failure.rawValue, in: error))
    }
}

/// `GET /magic-link/verify?token=…`: uses the token up, finds or creates the user, proves the
/// address, and signs in. Without `callbackURL` it answers Better Auth's JSON
/// `{token, user, session}`; with one, a 302 to it (to `newUserCallbackURL` for a user it created).
/// Every failure is a 302 to the error URL, whether or not a callback URL was given.
struct LinkVerification: Sendable {
    let host: PluginHost
    let tokens: MagicLinkTokens
    let disableSignUp: Bool
    /// The base URL's `scheme://host[:port]`, which relative targets join.
    let origin: String

    func verify(_ call: PluginCall) throws -> PluginAnswer {
        let targets = RedirectTargets(call, origin: origin)
        guard let claim = try tokens.redeem(call.query("token") ?? "") else { return targets.failure(.invalidToken) }

        var isNewUser = false
        var user: JSONValue
        if let found = try findUser(claim.email) {
            user = found
        } else {
            guard !disableSignUp else { return targets.failure(.signUpDisabled) }
            do {
                let data: JSONValue = ["email": .string(claim.email), "name": .string(claim.name ?? ""), "emailVerified": true]
                guard let created = try host.call("users.create", ["data": data])["user"]?.nonNull else { return targets.failure(.failedToCreateUser) }
                user = created
                isNewUser = true
            } catch let failure as PluginError {
                // Another link for the same new address may have created the user a moment ago.
                guard let existing = try findUser(claim.email) else {
                    host.log(.error, "magic-link: users.create failed (\(failure.code))")
                    return targets.failure(.failedToCreateUser)
                }
                user = existing
            }
        }
        guard let userID = user["id"]?.stringValue else { return targets.failure(.userNotFound) }

        // Better Auth's revokeUnprovenAccountAccess: an address nobody had proved may carry a
        // password, social links or sessions someone else set up before the owner; the host drops
        // them and marks the address verified in one transaction. Verified users are untouched.
        if user["emailVerified"]?.boolValue != true {
            do {
                let proof = try host.call("users.proveEmail", ["userId": .string(userID)])
                guard let proved = proof["user"]?.nonNull else { return targets.failure(.userNotFound) }
                user = proved
                if proof["revoked"]?.boolValue == true {
                    host.log(.info, "magic-link: the address of user \(userID) is proved; its earlier accounts and sessions are revoked")
                }
            } catch let failure as PluginError where failure.code == "USER_NOT_FOUND" {
                return targets.failure(.userNotFound)
            }
        }

        guard call.query("callbackURL").map({ !$0.isEmpty }) == true else {
            // The host fills in the new session's token and its API form.
            return PluginAnswer.json(["token": nil, "user": user, "session": nil]).signIn(userID: userID, tokenKey: "token", sessionKey: "session")
        }
        return PluginAnswer.status(302).header("location", isNewUser ? targets.newUser : targets.callback).signIn(userID: userID)
    }

    private func findUser(_ email: String) throws -> JSONValue? {
        try host.call("users.find", ["email": .string(email)])["user"]?.nonNull
    }
}
