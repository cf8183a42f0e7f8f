import Foundation
import GatehouseJSON
import GatehousePluginABI
import PluginKit

/// The internal adapter (`users.*`, `sessions.*`, `accounts.*`, `verifications.*`, §11) on the
/// fake database, and the test's shortcuts to the same rows.
extension FakeHost {
    func adapter(_ operation: String, _ input: JSONValue, on tables: inout FakeTables, now: Date) throws -> JSONValue {
        let equals = { (field: String, value: String) in FakeTables.Condition(field: field, op: "=", values: [.string(value)]) }
        switch operation {
        case "users.find":
            let key = input["id"]?.stringValue.map { equals("id", $0) } ?? input["email"]?.stringValue.map { equals("email", $0.lowercased()) }
            let user = try key.flatMap { try tables.find("user", [$0]).first }
            return ["user": user.map { output("user", $0, tables) } ?? .null]
        case "users.create":
            var data = try tables.record("user", input["data"])
            if case .string(let email)? = data["email"] { data["email"] = .string(email.lowercased()) }
            return ["user": output("user", try tables.create("user", data, now: now), tables)]
        case "users.update":
            let updated = try tables.update("user", [equals("id", try HostFailure.required(input, "id"))], try tables.record("user", input["data"]), now: now)
            return ["user": updated.first.map { output("user", $0, tables) } ?? .null]
        case "users.proveEmail":
            // The server's revokeUnprovenAccountAccess: an unverified user loses accounts and sessions.
            let id = try HostFailure.required(input, "userId")
            let unverified = [equals("id", id), FakeTables.Condition(field: "emailVerified", op: "=", values: [false])]
            if let promoted = try tables.update("user", unverified, ["emailVerified": true], now: now).first {
                _ = try tables.delete("account", [equals("userId", id)])
                _ = try tables.delete("session", [equals("userId", id)])
                return ["user": output("user", promoted, tables), "revoked": true]
            }
            guard let user = try tables.find("user", [equals("id", id)]).first else {
                throw HostFailure(status: GH_NOT_FOUND, code: "USER_NOT_FOUND", message: "no user \(id)")
            }
            return ["user": output("user", user, tables), "revoked": false]
        case "passwords.verifySignIn":
            // The server's check of a plugin's password sign-in, without its account lockout.
            let password = try HostFailure.required(input, "password")
            _ = try HostFailure.required(input, "identifier")
            let credential = try input["userId"]?.stringValue.flatMap { id in
                try tables.find("account", [equals("userId", id), equals("providerId", "credential")]).first
            }
            let hash = credential?["password"]?.stringValue
            return ["verified": .bool(hash.map { crypto.verifyPassword(password, hash: $0) } ?? false)]
        case "passwords.check":
            try checkNewPassword(try HostFailure.required(input, "password"))
            return ["status": true]
        case "users.resetPassword":
            // The server's reset: the password rules, the credential account (made when missing), sessions per settings.
            let id = try HostFailure.required(input, "userId")
            let password = try HostFailure.required(input, "password")
            try checkNewPassword(password)
            let revoke = locked { $0.environment.revokeSessionsOnPasswordReset }
            guard try !tables.find("user", [equals("id", id)]).isEmpty else {
                throw HostFailure(status: GH_NOT_FOUND, code: "USER_NOT_FOUND", message: "no user \(id)")
            }
            let hash = JSONValue.string(crypto.hashPassword(password))
            let credential = [equals("userId", id), equals("providerId", "credential")]
            if try tables.update("account", credential, ["password": hash], now: now).isEmpty {
                _ = try tables.create("account", ["accountId": .string(id), "providerId": "credential", "issuer": "local:credential",
                                                  "userId": .string(id), "password": hash], now: now)
            }
            if revoke { _ = try tables.delete("session", [equals("userId", id)]) }
            return ["status": true, "sessionsRevoked": .bool(revoke)]
        case "users.delete":
            // Cascades, as the server's database does, to sessions, accounts and plugin rows.
            let deleted = try tables.delete("user", [equals("id", try HostFailure.required(input, "id"))])
            return ["deleted": .bool(!deleted.isEmpty)]
        case "sessions.create":
            let userID = try HostFailure.required(input, "userId")
            let seconds = input["expiresIn"]?.doubleValue ?? Double(locked { $0.sessionExpiresIn })
            let extra = try tables.record("session", input["data"])
            return ["session": output("session", try createSession(userID, expiresIn: seconds, ip: input["ipAddress"], agent: input["userAgent"],
                                                                   extra: extra, &tables, now), tables)]
        case "sessions.find":
            return ["session": try sessionObject(try HostFailure.required(input, "token"), tables) ?? .null]
        case "sessions.delete":
            let userID = input["token"] == nil ? input["userId"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } : nil
            _ = try tables.delete("session", [userID.map { equals("userId", $0) } ?? equals("token", try HostFailure.required(input, "token"))])
            return ["status": true]
        case "accounts.find":
            let conditions = ["userId", "providerId", "accountId", "issuer", "id"].compactMap { key in input[key]?.stringValue.map { equals(key, $0) } }
            guard !conditions.isEmpty else { throw HostFailure.invalid("MISSING_FIELD", "give at least one of userId, providerId, accountId, issuer, id") }
            return ["accounts": .array(try tables.find("account", conditions).map { output("account", $0, tables) })]
        case "accounts.create":
            return ["account": output("account", try tables.create("account", try tables.record("account", input["data"]), now: now), tables)]
        case "verifications.create":
            let seconds = input["expiresIn"]?.doubleValue ?? 600
            _ = try tables.create("verification", [
                "identifier": .string(try HostFailure.required(input, "identifier")), "value": .string(try HostFailure.required(input, "value")),
                "expiresAt": .string(ISODate.format(now.addingTimeInterval(seconds))),
            ], now: now)
            return ["status": true]
        case "verifications.find":
            return ["value": try liveVerification(try HostFailure.required(input, "identifier"), tables, now)?["value"] ?? .null]
        case "verifications.consume":
            let identifier = try HostFailure.required(input, "identifier")
            let value = try liveVerification(identifier, tables, now)?["value"]
            _ = try tables.delete("verification", [equals("identifier", identifier)])
            return ["value": value ?? .null]
        default:
            throw HostFailure(status: GH_UNSUPPORTED, code: "UNSUPPORTED_OPERATION", message: "unknown host operation \"\(operation)\"")
        }
    }

    /// The server's rules for a new password: lengths, then `compromisedPasswords`; refusals carry
    /// the client's status, 400, as the server's do.
    private func checkNewPassword(_ password: String) throws {
        let (minimum, maximum, compromised) = locked {
            ($0.environment.minPasswordLength, $0.environment.maxPasswordLength, $0.environment.compromisedPasswords)
        }
        func refusal(_ code: String, _ message: String) -> HostFailure {
            HostFailure(status: GH_INVALID, code: code, message: message, extra: [("status", 400)])
        }
        if password.count < minimum { throw refusal("PASSWORD_TOO_SHORT", "Password too short") }
        if password.count > maximum { throw refusal("PASSWORD_TOO_LONG", "Password too long") }
        if compromised.contains(password) {
            throw refusal("PASSWORD_COMPROMISED", "The password you entered has been compromised. Please choose a different password.")
        }
    }

    /// `{session, user}` in API output form for a session token, or nil.
    func sessionObject(_ token: String, _ tables: FakeTables) throws -> JSONValue? {
        guard let session = try tables.find("session", [FakeTables.Condition(field: "token", op: "=", values: [.string(token)])]).first,
              let user = try tables.find("user", [FakeTables.Condition(field: "id", op: "=", values: [session["userId"] ?? .null])]).first
        else { return nil }
        return ["session": output("session", session, tables), "user": output("user", user, tables)]
    }

    func createSession(_ userID: String, expiresIn seconds: Double, ip: JSONValue? = nil, agent: JSONValue? = nil, extra: Row = [:],
                       _ tables: inout FakeTables, _ now: Date) throws -> Row {
        guard try !tables.find("user", [FakeTables.Condition(field: "id", op: "=", values: [.string(userID)])]).isEmpty else {
            throw HostFailure(status: GH_NOT_FOUND, code: "USER_NOT_FOUND", message: "no user \(userID)")
        }
        if let refusal = locked({ $0.signInBlocks[userID] }) { throw refusal }
        var row: Row = [
            "userId": .string(userID), "token": .string(FakeCrypto.identifier()), "expiresAt": .string(ISODate.format(now.addingTimeInterval(seconds))),
            "ipAddress": ip ?? .null, "userAgent": agent ?? .null,
        ]
        for (name, value) in extra where row[name] == nil { row[name] = value }
        return try tables.create("session", row, now: now)
    }

    /// The newest unexpired verification row of `identifier`.
    private func liveVerification(_ identifier: String, _ tables: FakeTables, _ now: Date) throws -> Row? {
        try tables.find("verification", [FakeTables.Condition(field: "identifier", op: "=", values: [.string(identifier)])],
                        orderBy: (field: "createdAt", descending: true))
            .first { (ISODate.parse($0["expiresAt"]) ?? .distantPast) > now }
    }

    /// A row as API output: without the fields declared `returned: false`.
    func output(_ table: String, _ row: Row, _ tables: FakeTables) -> JSONValue {
        let hidden = Set(tables.schema[table]?.fields.filter { !$0.returned }.map(\.name) ?? [])
        return .object(row.filter { !hidden.contains($0.key) })
    }

    // MARK: Shortcuts for tests

    /// Creates a user as `users.create` does (more fields in `fields`); returns it as API output.
    @discardableResult
    public func createUser(email: String, name: String = "Test User", emailVerified: Bool = false, fields: JSONValue = [:]) throws -> JSONValue {
        var data = fields.objectValue ?? [:]
        data["email"] = .string(email)
        data["name"] = .string(name)
        data["emailVerified"] = .bool(emailVerified)
        return try hostCall { try perform("users.create", ["data": .object(data)])["user"] ?? .null }
    }

    /// Signs the user with id `userID` in: a new session (`session.expiresIn`, 7 days) to pass
    /// to `request(..., session:)`.
    public func signIn(userID: String) throws -> Session {
        let now = now
        let row = try hostCall {
            try database.perform { try createSession(userID, expiresIn: Double(locked { $0.sessionExpiresIn }), &$0, now) }
        }
        return Session(token: row["token"]?.stringValue ?? "", userID: userID)
    }

    /// Signs in the user (a `createUser` answer).
    public func signIn(_ user: JSONValue) throws -> Session {
        guard let id = user["id"]?.stringValue else { throw FakeHostError("signIn: the user has no id") }
        return try signIn(userID: id)
    }

    /// The session's current `{session, user}` (API output), or nil once it is deleted.
    public func session(_ session: Session) -> JSONValue? {
        try? database.read { try sessionObject(session.token, $0) }
    }

    /// `value.signature` under the fake host's secret, as `sign_value` makes it (a bearer token,
    /// a signed cookie's value before URL-encoding).
    public func sign(_ value: String) -> String { crypto.sign(value) }

    /// A password hash this fake host verifies (for an `account` row's `password`).
    public func passwordHash(_ password: String) -> String { crypto.hashPassword(password) }

    /// Runs a host operation for the test, turning its failure into a FakeHostError.
    func hostCall<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let failure as HostFailure {
            throw FakeHostError("\(failure.code): \(failure.message)")
        }
    }
}
