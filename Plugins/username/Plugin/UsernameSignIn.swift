import GatehouseJSON
import OrderedCollections
import PluginKit

/// `POST /sign-in/username` and `POST /is-username-available`. A broken username rule is 422 on
/// both; an unknown username, a user without a password, a wrong password and a locked account
/// all answer the same 401 after the same hashing work (the host's `passwords.verifySignIn`,
/// which counts failures towards the core's account lockout).
struct UsernameSignIn: Sendable {
    /// The core's `requireEmailVerification` and `sendOnSignIn` (`host.info`, ABI 1.6; false on
    /// older hosts): a password sign-in of an unverified user is refused as `/sign-in/email` refuses it.
    struct VerificationPolicy: Sendable {
        let required: Bool
        let sendOnSignIn: Bool

        init(info: JSONValue) {
            required = info["emailAndPassword"]?["requireEmailVerification"]?.boolValue ?? false
            sendOnSignIn = info["emailVerification"]?["sendOnSignIn"]?.boolValue ?? false
        }
    }

    let host: PluginHost
    let rules: UsernameRules
    let verification: VerificationPolicy

    /// `{redirect, token, url?, user}` with the new session's cookies; `token` is filled in by the
    /// host. A user whose sign-in is held (a ban) gets the hold's refusal from the host, no session.
    func signIn(_ call: PluginCall) throws -> PluginAnswer {
        let username = call.body["username"]?.stringValue ?? ""
        let password = call.body["password"]?.stringValue ?? ""
        let refusal = UsernameError.INVALID_USERNAME_OR_PASSWORD.failure
        guard !username.isEmpty, !password.isEmpty else { throw refusal }
        if let violation = rules.violation(of: username) { throw violation.failure(status: 422) }

        let normalized = rules.normalized(username)
        let holder = try rules.holder(of: normalized)?["id"]?.stringValue
        var check: OrderedDictionary<String, JSONValue> = ["identifier": .string(normalized), "password": .string(password)]
        if let holder { check["userId"] = .string(holder) }
        guard try host.call("passwords.verifySignIn", .object(check))["verified"]?.boolValue == true, let userID = holder,
              let user = try host.call("users.find", ["id": .string(userID)])["user"]?.nonNull
        else { throw refusal }

        let callbackURL = call.body["callbackURL"]?.stringValue
        if verification.required, user["emailVerified"]?.boolValue != true {
            if verification.sendOnSignIn {
                var request: OrderedDictionary<String, JSONValue> = ["userId": .string(userID)]
                if let callbackURL { request["callbackURL"] = .string(callbackURL) }
                // As the core's sign-in: a mail that cannot go (no transport) still answers 403.
                do { _ = try host.call("email.sendVerification", .object(request)) } catch {
                    host.log(.warning, "username: the verification email was not sent (\((error as? PluginError)?.code ?? "error"))")
                }
            }
            throw UsernameError.EMAIL_NOT_VERIFIED.failure
        }
        var body: OrderedDictionary<String, JSONValue> = ["redirect": .bool(callbackURL != nil), "token": .null]
        if let callbackURL { body["url"] = .string(callbackURL) }
        body["user"] = user
        let answer = PluginAnswer.json(.object(body))
            .signIn(userID: userID, rememberMe: call.body["rememberMe"]?.boolValue ?? true, tokenKey: "token")
        return callbackURL.map { answer.header("location", $0) } ?? answer
    }

    /// `{available}`: whether no user holds the username (in its normalized form).
    func isUsernameAvailable(_ call: PluginCall) throws -> PluginAnswer {
        let username = call.body["username"]?.stringValue ?? ""
        guard !username.isEmpty else { throw UsernameError.INVALID_USERNAME.failure(status: 422) }
        if let violation = rules.violation(of: username) { throw violation.failure(status: 422) }
        return .json(["available": .bool(try rules.holder(of: rules.normalized(username)) == nil)])
    }
}
