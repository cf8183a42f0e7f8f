import GatehouseJSON
import OrderedCollections
import PluginKit

/// `POST /sign-in/username` and `POST /is-username-available`. A broken username rule is 422 on
/// both; an unknown username, a user without a password and a wrong password all answer the same
/// 401 after the same hashing work.
struct UsernameSignIn: Sendable {
    /// A well-formed scrypt hash of nothing anyone knows: verified against for unknown usernames,
    /// so the answer takes as long as for a real user's wrong password.
    private static let dummyHash = "58148c65da6fb3f3fff27bd14489f8e7:2395b9d892726499c367e6d2242633a2a497e6a2b50697a0b0f0ad904692721b"
        + "e83285f652e40d5c1395ed7c86d15a3d44e943a24efc1d3a48a6997139a5a954"

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
    let db: PluginDatabase
    let verification: VerificationPolicy

    /// `{redirect, token, url?, user}` with the new session's cookies; `token` is filled in by the
    /// host. A user whose sign-in is held (a ban) gets the hold's refusal from the host, no session.
    func signIn(_ call: PluginCall) throws -> PluginAnswer {
        let username = call.body["username"]?.stringValue ?? ""
        let password = call.body["password"]?.stringValue ?? ""
        let refusal = UsernameError.INVALID_USERNAME_OR_PASSWORD.failure
        guard !username.isEmpty, !password.isEmpty else { throw refusal }
        if let violation = rules.violation(of: username) { throw violation.failure(status: 422) }

        guard let userID = try rules.holder(of: rules.normalized(username))?["id"]?.stringValue,
              let hash = try passwordHash(of: userID)
        else {
            _ = host.verifyPassword(password, hash: Self.dummyHash)
            throw refusal
        }
        guard host.verifyPassword(password, hash: hash),
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

    /// The password hash of the user's credential account, if they have one.
    private func passwordHash(of userID: String) throws -> String? {
        let account = try db.findOne("account", [PluginDatabase.equals("userId", .string(userID)),
                                                 PluginDatabase.equals("providerId", "credential")])
        return account?["password"]?.stringValue
    }
}
