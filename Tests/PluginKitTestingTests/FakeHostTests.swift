import Foundation
import GatehouseCrypto
import GatehouseJSON
import PluginKit
import PluginKitTesting
import Testing

/// The fake host keeps the real host's rules (docs/plugin-abi.md §10, §11), so a plugin's unit
/// tests fail where the server would.
struct FakeHostTests {
    let host: FakeHost

    init() throws {
        host = try FakeHost(plugin: ProbePlugin.self, settings: ["mood": "curious"])
    }

    /// Runs a host operation from inside the plugin.
    private func call(_ operation: String, _ request: JSONValue) throws -> FakeHost.Answer {
        try host.request("POST", "/probe/call", body: ["operation": .string(operation), "request": request])
    }

    @Test func initSeesItsSettingsAndLogs() {
        #expect(host.logs == [FakeHost.LogLine(level: .info, message: "probe ready: curious")])
    }

    @Test func databaseOperationsFollowTheHostsRules() throws {
        let user = try host.createUser(email: "Ada@Example.com")
        #expect(user["email"] == "ada@example.com")
        let userID = try #require(user["id"])
        for (text, rank) in [("b", 2), ("a", 1), ("c", 3)] {
            #expect(try call("db.create", ["table": "note", "data": ["userId": userID, "text": .string(text), "rank": .int(rank)]]).status == 200)
        }
        let found = try call("db.findMany", ["table": "note", "where": [["field": "rank", "operator": ">=", "value": 2]],
                                             "orderBy": ["field": "rank", "direction": "desc"]])
        #expect(found.body["rows"]?.arrayValue?.map { $0["text"] } == ["c", "b"])
        // Every field of the row, dates as the server writes them.
        let row = try #require(found.body["rows"]?.arrayValue?.first?.objectValue)
        #expect(Array(row.keys) == ["id", "userId", "text", "rank", "createdAt"])
        #expect(row["createdAt"]?.stringValue?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        #expect(try call("db.count", ["table": "note", "where": [["field": "text", "operator": "IN", "value": ["a", "c", "z"]]]]).body["count"] == 2)
        // 1.6 host: NOT IN and Better Auth's case-insensitive text matches.
        #expect(try call("db.count", ["table": "note", "where": [["field": "text", "operator": "NOT IN", "value": ["a", "c"]]]]).body["count"] == 1)
        #expect(try call("db.count", ["table": "user", "where": [["field": "email", "operator": "ends_with", "value": "@EXAMPLE.com"]]]).body["count"] == 1)
        #expect(try call("db.count", ["table": "note", "where": [["field": "rank", "operator": "contains", "value": "1"]]]).code == "VALIDATION_ERROR")
        #expect(try call("db.update", ["table": "note", "data": ["rank": 9]]).code == "WHERE_REQUIRED")
        #expect(try call("db.findMany", ["table": "note", "where": [["field": "text", "operator": "LIKE", "value": "a"]]]).code == "UNKNOWN_OPERATOR")
        #expect(try call("db.create", ["table": "note", "data": ["userId": userID, "text": 5]]).code == "VALIDATION_ERROR")
        #expect(try call("db.create", ["table": "note", "data": ["userId": "nobody", "text": "x"]]).code == "HOST_ERROR")
        #expect(try call("db.findMany", ["table": "gatehouseKeyValue"]).code == "TABLE_NOT_ALLOWED")
        // Deleting the user cascades to the notes that reference it.
        #expect(try call("db.delete", ["table": "user", "where": [["field": "id", "value": userID]]]).status == 200)
        #expect(host.rows("note").isEmpty)
    }

    @Test func aTransactionIsAllOrNothing() throws {
        let userID = try #require(try host.createUser(email: "ada@example.com")["id"])
        let failed = try call("db.transaction", ["operations": [
            ["op": "db.create", "table": "note", "data": ["userId": userID, "text": "kept?"]],
            ["op": "db.create", "table": "user", "data": ["name": "Twin", "email": "ada@example.com"]],
        ]])
        #expect(failed.code == "UNIQUE_VIOLATION")  // the unique email (a 1.6 plugin)
        #expect(host.rows("note").isEmpty)
        let done = try call("db.transaction", ["operations": [["op": "db.create", "table": "note", "data": ["userId": userID, "text": "kept"]]]])
        #expect(done.body["results"]?.arrayValue?.count == 1)
        #expect(host.rows("note").map { $0["text"] } == ["kept"])
    }

    /// 1.5: proving an address strips an unverified user; a reset follows the host's rules.
    @Test func provenAddressesAndResetsFollowTheHostsRules() throws {
        let user = try host.createUser(email: "ada@example.com")
        let userID = try #require(user["id"])
        _ = try host.signIn(user)
        #expect(try call("users.resetPassword", ["userId": userID, "password": "short"]).code == "PASSWORD_TOO_SHORT")
        #expect(try call("users.resetPassword", ["userId": userID, "password": "long enough"]).body["sessionsRevoked"] == false)
        #expect(host.rows("account").map { $0["providerId"] } == ["credential"])
        let proof = try call("users.proveEmail", ["userId": userID])
        #expect(proof.body["revoked"] == true && proof.body["user"]?["emailVerified"] == true)
        #expect(host.rows("account").isEmpty && host.rows("session").isEmpty)
        #expect(try call("users.proveEmail", ["userId": userID]).body["revoked"] == false)
        #expect(try call("users.proveEmail", ["userId": "nobody"]).code == "USER_NOT_FOUND")
        #expect(try call("host.info", [:]).body["emailAndPassword"]?["minPasswordLength"] == 8)
    }

    /// 1.8: `passwords.check` refuses what `users.resetPassword` refuses, setting nothing;
    /// `passwords.verifySignIn` checks a plugin's password sign-in.
    @Test func newPasswordsAreCheckedWithoutBeingSet() throws {
        host.compromisedPasswords = ["password123"]
        let userID = try #require(try host.createUser(email: "ada@example.com")["id"])
        #expect(try call("passwords.check", ["password": "short"]).code == "PASSWORD_TOO_SHORT")
        #expect(try call("passwords.check", ["password": "password123"]).code == "PASSWORD_COMPROMISED")
        #expect(try call("users.resetPassword", ["userId": userID, "password": "password123"]).code == "PASSWORD_COMPROMISED")
        #expect(try call("passwords.check", ["password": "long enough"]).body["status"] == true)
        #expect(host.rows("account").isEmpty)
        _ = try call("users.resetPassword", ["userId": userID, "password": "long enough"])
        #expect(try call("passwords.verifySignIn", ["userId": userID, "identifier": "ada", "password": "long enough"]).body["verified"] == true)
        #expect(try call("passwords.verifySignIn", ["userId": userID, "identifier": "ada", "password": "not it"]).body["verified"] == false)
        #expect(try call("passwords.verifySignIn", ["identifier": "nobody", "password": "long enough"]).body["verified"] == false)
    }

    @Test func sessionsReachTheEnvelopeAndTheCookie() throws {
        let user = try host.createUser(email: "ada@example.com")
        let session = try host.signIn(user)
        let answer = try host.request("GET", "/probe/whoami/x%20y?verbose=1", session: session)
        #expect(answer.body == ["email": "ada@example.com", "tag": "x y", "cookieUser": user["id"]!, "verbose": "1"])
        let refused = try host.request("GET", "/probe/whoami/x")
        #expect(refused.status == 401)
        // The route's responseHeaders (ABI 1.11) on its answers, the host's own 401 too; not on other routes.
        for declared in [answer, refused] {
            #expect(declared.header("cache-control") == "no-store" && declared.header("X-Frame-Options") == "DENY")
        }
        #expect(try host.request("POST", "/probe/quick", body: [:]).header("cache-control") == nil)
        #expect(try call("sessions.delete", ["token": .string(session.token)]).status == 200)
        #expect(try host.request("GET", "/probe/whoami/x", session: session).code == "UNAUTHORIZED")
        #expect(throws: FakeHostError.self) { try host.request("GET", "/probe/unknown") }
    }

    @Test func aSignInAnswerMakesASession() throws {
        let userID = try #require(try host.createUser(email: "ada@example.com")["id"]?.stringValue)
        let answer = try host.request("POST", "/probe/call", body: ["signIn": .string(userID)])
        let session = try #require(answer.newSession)
        #expect(answer.body["token"] == .string(session.token))
        #expect(host.session(session)?["user"]?["id"] == .string(userID))
    }

    @Test func nonBlockingCallbacksCannotBlock() throws {
        let answer = try host.request("POST", "/probe/quick", body: ["x": 1])
        #expect(answer.body == ["callRefused": true, "kv": nil, "body": ["x": 1]])
    }

    @Test func keyValuesExpireOnTheFakeClock() throws {
        #expect(try host.request("POST", "/probe/kv", body: ["set": "v", "ttl": 60]).body["value"] == "v")
        host.advanceClock(by: 59)
        #expect(host.keyValue("key") == "v")
        host.advanceClock(by: 2)
        #expect(try host.request("POST", "/probe/kv", body: [:]).body["value"] == .null)
    }

    @Test func cryptographyMatchesTheServers() throws {
        let answer = try host.request("POST", "/probe/crypto", body: ["text": "secret note"])
        let sealed = try #require(answer.body["sealed"]?.stringValue)
        #expect(answer.body["opened"] == "secret note")
        // Sealed under the same secret, the server opens the fake's text and the other way round.
        let server = SymmetricEncryption(secret: host.secret)
        #expect(server.decrypt(sealed).map { String(decoding: $0, as: UTF8.self) } == "secret note")
        let fromServer = server.encrypt(Array("from the server".utf8))
        #expect(try host.request("POST", "/probe/crypto", body: ["open": .string(fromServer)]).body["opened"] == "from the server")
        #expect(CookieSigner(secret: host.secret).verify(host.sign("token")) == "token")
        let hash = host.passwordHash("correct horse")
        #expect(try host.request("POST", "/probe/crypto", body: ["text": "correct horse", "passwordHash": .string(hash)]).body["passwordMatches"] == true)
        #expect(try host.request("POST", "/probe/crypto", body: ["text": "wrong", "passwordHash": .string(hash)]).body["passwordMatches"] == false)
    }

    @Test func eventsEmailsAndFetchesAreCapturedOrAnsweredByTheTest() throws {
        _ = try call("events.emit", ["name": "probe.poked", "payload": ["n": 1]])
        _ = try call("email.send", ["kind": "otp", "to": "ada@example.com", "context": ["otp": "123456"]])
        #expect(host.emittedEvents == [FakeHost.EmittedEvent(name: "probe.poked", payload: ["n": 1])])
        #expect(host.sentEmails.map(\.to) == ["ada@example.com"])
        #expect(try call("http.fetch", ["url": "https://api.example.com/x"]).code == "FETCH_FAILED")
        host.fetch = { request in .json(["echo": .string(request.url)], status: 201) }
        let fetched = try call("http.fetch", ["url": "https://api.example.com/y", "method": "POST", "body": "{}"])
        #expect(fetched.body["status"] == 201)
        #expect(fetched.body["body"] == "{\"echo\":\"https://api.example.com/y\"}")
        #expect(host.fetchRequests.map(\.method) == ["GET", "POST"])
        #expect(try call("oauth.start", [:]).code == "UNSUPPORTED_OPERATION")
    }

    @Test func scheduledJobsRunWhenDue() throws {
        let scheduled = try call("jobs.schedule", ["name": "reminder", "delaySeconds": 3600, "payload": ["to": "ada"]])
        let id = try #require(scheduled.body["id"])
        #expect(try call("jobs.schedule", ["name": "unknown", "delaySeconds": 1]).code == "UNKNOWN_JOB")
        #expect(try host.runDueJobs().isEmpty)
        host.advanceClock(by: 3600)
        let runs = try host.runDueJobs()
        #expect(runs.map { $0["ran"]?["payload"] } == [["to": "ada"]])
        #expect(runs.first?["ran"]?["id"] == id)
        #expect(try host.runDueJobs().isEmpty)
        #expect(try host.runJob("reminder")["ran"] == ["name": "reminder"])
    }

    @Test func servicesReachStubbedProvidersAndAnswerCallers() throws {
        #expect(try call("services.call", ["plugin": "organization", "service": "memberCount"]).code == "PLUGIN_NOT_LOADED")
        #expect(try call("services.call", ["plugin": "billing", "service": "seats"]).code == "PLUGIN_NOT_DECLARED")
        host.provideService(plugin: "organization", "memberCount") { request in
            guard request["organizationId"] == "org_1" else { throw PluginError(status: 404, code: "ORGANIZATION_NOT_FOUND", message: "Organization not found") }
            return ["count": 3]
        }
        #expect(try call("services.call", ["plugin": "organization", "service": "memberCount", "request": ["organizationId": "org_1"]]).body == ["count": 3])
        let refused = try call("services.call", ["plugin": "organization", "service": "memberCount", "request": ["organizationId": "x"]])
        #expect(refused.status == 404 && refused.code == "ORGANIZATION_NOT_FOUND")
        #expect(try call("services.call", ["plugin": "organization", "service": "addMember"]).code == "UNKNOWN_SERVICE")
        #expect(host.serviceCalls.count == 5)
        // The probe as a provider, called as another plugin would call it.
        #expect(try host.service("echo", request: ["a": 1], caller: "billing").json == ["echo": ["a": 1], "caller": "billing"])
        #expect(try host.service("echo", request: ["refuse": true]).code == "NOT_YOURS")
    }

    @Test func eventsReachMatchingSubscriptions() throws {
        #expect(try host.deliverEvent("user.created", payload: ["user": [:]])?["seen"] == "user.created")
        #expect(try host.deliverEvent("session.created") == nil)
    }
}
