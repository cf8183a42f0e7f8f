import Crypto
import Foundation
import GatehouseJSON
import PluginKit
import PluginKitTesting
import Testing

/// The webhooks plugin on PluginKitTesting's fake host, through the library `swift build` made
/// (`libwebhooks.so`): the outbox rows an event makes, the signed request handed to
/// `http.dispatch`, and what each outcome does to the row.
struct WebhooksPluginTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    static func webhooks(_ settings: JSONValue) throws -> FakeHost {
        try FakeHost(library: FakeHost.builtLibrary("webhooks"), settings: settings)
    }

    /// One endpoint taking `events`; retries due at once, so a sweep right after a failure resends.
    static func oneEndpoint(events: JSONValue = ["*"], maxAttempts: Int = 3) throws -> FakeHost {
        try webhooks([
            "endpoints": [["id": "crm", "url": "https://crm.example.com/hook", "secret": .string(secret), "events": events]],
            "retry": ["maxAttempts": .int(maxAttempts), "initialDelay": .number(0.001), "maxDelay": .number(0.001), "jitter": 0],
            "adminUserIds": ["admin-1"],
        ])
    }

    static func row(_ host: FakeHost) throws -> JSONValue {
        try #require(host.rows("webhookDelivery").first)
    }

    @Test func anEventBecomesOneSignedRequestPerEndpointThatTakesIt() throws {
        let host = try webhooksWithTwoEndpoints()
        try host.deliverEvent("user.created", payload: ["user": ["id": "u1"], "ipAddress": "203.0.113.7"])
        let rows = host.rows("webhookDelivery")
        #expect(rows.map { $0["endpointId"]?.stringValue } == ["users"])
        let request = try #require(host.dispatchedRequests.first)
        #expect(host.dispatchedRequests.count == 1)
        #expect(request.method == "POST" && request.url == "https://users.example.com/hook" && !request.allowPrivateNetworks)
        let body = try JSONValue.parse(Array((request.body ?? "").utf8))
        #expect(body["type"] == "user.created" && body["data"] == ["user": ["id": "u1"], "ipAddress": "203.0.113.7"])
        #expect(request.body == rows[0]["payload"]?.stringValue)
        #expect(request.headers["webhook-id"] == rows[0]["id"]?.stringValue)
        let timestamp = try #require(request.headers["webhook-timestamp"])
        let key = try #require(Data(base64Encoded: String(Self.secret.dropFirst(6))))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(request.headers["webhook-id"] ?? "").\(timestamp).\(request.body ?? "")".utf8),
                                                  using: SymmetricKey(data: key))
        #expect(request.headers["webhook-signature"] == "v1," + Data(mac).base64EncodedString())
        #expect(rows[0]["status"] == "pending" && rows[0]["attempts"] == 1)

        try host.deliverEvent("session.revoked", payload: ["session": ["id": "s1"]])
        try host.deliverEvent("signIn.failed", payload: [:])
        #expect(host.rows("webhookDelivery").map { $0["endpointId"]?.stringValue } == ["users", "sessions"])
    }

    func webhooksWithTwoEndpoints() throws -> FakeHost {
        try Self.webhooks(["endpoints": [
            ["id": "users", "url": "https://users.example.com/hook", "secret": .string(Self.secret), "events": ["user.*"]],
            ["id": "sessions", "url": "https://sessions.example.com/hook", "secret": .string(Self.secret), "events": ["session.revoked"]],
            ["id": "off", "url": "https://off.example.com/hook", "secret": .string(Self.secret), "enabled": false],
        ]])
    }

    @Test func a2xxDeliversAndAnythingElseRetriesUnderTheSameId() throws {
        let host = try Self.oneEndpoint()
        try host.deliverEvent("user.created", payload: ["user": ["id": "u1"]])
        let first = try #require(host.dispatchedRequests.last)
        try host.finishDispatch(first.id, status: 500)
        var row = try Self.row(host)
        #expect(row["status"] == "pending" && row["attempts"] == 1 && row["lastStatusCode"] == 500)
        #expect(row["lastError"]?.stringValue?.contains("500") == true)

        Thread.sleep(forTimeInterval: 0.01)                              // initialDelay: 1 ms
        _ = try host.runJob("sweep")
        let second = try #require(host.dispatchedRequests.last)
        #expect(second.id != first.id && second.headers["webhook-id"] == first.headers["webhook-id"] && second.body == first.body)
        #expect(try Self.row(host)["attempts"] == 2)
        _ = try host.runJob("sweep")
        #expect(host.dispatchedRequests.count == 2)                          // in flight: not sent twice

        try host.finishDispatch(second.id, status: 204)
        row = try Self.row(host)
        #expect(row["status"] == "delivered" && row["attempts"] == 2 && row["lastStatusCode"] == 204 && row["deliveredAt"] != nil)
        #expect(row["lastError"] == nil || row["lastError"] == .null)
    }

    @Test func attemptsRunOutIntoDeadAndARefusedAddressIsDeadAtOnce() throws {
        let host = try Self.oneEndpoint(maxAttempts: 2)
        try host.deliverEvent("user.created", payload: [:])
        try host.failDispatch(try #require(host.dispatchedRequests.last).id, code: "TIMEOUT", message: "timed out after 15 s")
        Thread.sleep(forTimeInterval: 0.01)
        _ = try host.runJob("sweep")
        #expect(host.dispatchedRequests.count == 2)
        try host.finishDispatch(try #require(host.dispatchedRequests.last).id, status: 307)
        var row = try Self.row(host)
        #expect(row["status"] == "dead" && row["attempts"] == 2 && row["lastStatusCode"] == 307)
        #expect(row["lastError"]?.stringValue?.contains("redirects are not followed") == true)

        let refused = try Self.oneEndpoint()
        try refused.deliverEvent("user.created", payload: [:])
        try refused.failDispatch(try #require(refused.dispatchedRequests.last).id, code: "ADDRESS_REFUSED",
                                 message: "127.0.0.1 is a loopback address; set allowPrivateNetworks to reach it")
        row = try Self.row(refused)
        #expect(row["status"] == "dead" && row["attempts"] == 1 && row["lastError"]?.stringValue?.contains("loopback") == true)
    }

    @Test func redeliveryStartsAfreshButNeverBesideAnAttemptInFlight() throws {
        let host = try Self.oneEndpoint(maxAttempts: 1)
        try host.insert("user", ["id": "admin-1", "email": "admin@example.com", "name": "Admin", "emailVerified": true])
        let admin = try host.signIn(userID: "admin-1")
        try host.deliverEvent("user.created", payload: [:])
        let id = try #require(try Self.row(host)["id"]?.stringValue)

        let busy = try host.request("POST", "/webhooks/redeliver", body: ["id": .string(id)], session: admin)
        #expect(busy.status == 409 && busy.code == "DELIVERY_IN_PROGRESS")
        try host.finishDispatch(try #require(host.dispatchedRequests.last).id, status: 500)
        #expect(try Self.row(host)["status"] == "dead")

        let again = try host.request("POST", "/webhooks/redeliver", body: ["id": .string(id)], session: admin)
        #expect(again.status == 200 && again.body == ["status": true])
        #expect(host.dispatchedRequests.count == 2 && host.dispatchedRequests.last?.headers["webhook-id"] == id)
        #expect(try Self.row(host)["status"] == "pending" && (try Self.row(host))["attempts"] == 1)
        try host.finishDispatch(try #require(host.dispatchedRequests.last).id, status: 200)
        #expect(try Self.row(host)["status"] == "delivered")

        #expect(try host.request("POST", "/webhooks/redeliver", body: ["id": "nope"], session: admin).status == 404)
        try host.insert("webhookDelivery", ["endpointId": "gone", "eventType": "user.created", "payload": "{}", "status": "dead", "attempts": 8,
                                            "nextAttemptAt": "2026-01-01T00:00:00.000Z", "lockedUntil": "2026-01-01T00:00:00.000Z"])
        let orphan = try #require(host.rows("webhookDelivery").first { $0["endpointId"] == "gone" }?["id"]?.stringValue)
        let unavailable = try host.request("POST", "/webhooks/redeliver", body: ["id": .string(orphan)], session: admin)
        #expect(unavailable.status == 409 && unavailable.code == "ENDPOINT_UNAVAILABLE")
        let eve = try host.signIn(try host.createUser(email: "eve@example.com"))
        #expect(try host.request("POST", "/webhooks/redeliver", body: ["id": .string(id)], session: eve).status == 403)
        #expect(try host.request("GET", "/webhooks/deliveries", session: eve).status == 403)
        let listed = try host.request("GET", "/webhooks/deliveries?status=delivered", session: admin)
        #expect(listed.body["total"] == 1 && listed.body["deliveries"]?.arrayValue?.first?["payload"] == nil)
        #expect(try host.request("GET", "/webhooks/deliveries?status=lost", session: admin).status == 400)
    }

    static let secretJSON = "\"\(secret)\""

    @Test(arguments: [
        (#"{"endpoints": [{"id": "a", "url": "https://x.example/h", "secret": "whsec_c2hvcnQ="}]}"#, "endpoints[0].secret"),
        (#"{"endpoints": [{"id": "a", "url": "mailto:ops@example.com", "secret": SECRET}]}"#, "endpoints[0].url"),
        (#"{"endpoints": [{"id": "a", "url": "https://x.example/h", "secret": SECRET, "events": ["user*"]}]}"#, "endpoints[0].events[0]"),
        (#"{"endpoints": [{"id": "a b", "url": "https://x.example/h", "secret": SECRET}]}"#, "endpoints[0].id"),
        (#"{"retry": {"maxAttempts": 1.5}}"#, "retry.maxAttempts"),
        (#"{"retry": {"initialDelay": -1}}"#, "retry.initialDelay"),
        (#"{"allowPrivateNetworks": "yes"}"#, "allowPrivateNetworks"),
        (#"{"endpoint": [{"id": "a", "url": "https://x.example/h", "secret": SECRET}]}"#, "endpoint"),
    ])
    func invalidSettingsNameTheirKeyNotTheirValue(_ settings: String, _ key: String) throws {
        let json = try JSONValue.parse(Array(settings.replacingOccurrences(of: "SECRET", with: Self.secretJSON).utf8))
        let error = #expect(throws: FakeHostError.self) { try Self.webhooks(json) }
        #expect(error?.description.contains("plugins.webhooks.\(key) ") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("c2hvcnQ") == false && error?.description.contains(Self.secret) == false)
    }

    @Test func aLoopbackURLLoadsWithAWarning() throws {
        let host = try Self.webhooks(["endpoints": [["id": "local", "url": "http://localhost:8080/h", "secret": .string(Self.secret)]]])
        #expect(host.logs.contains { $0.message.contains("endpoint local names a loopback or private host") })
        let allowed = try Self.webhooks(["allowPrivateNetworks": true,
                                         "endpoints": [["id": "local", "url": "http://[::1]:8080/h", "secret": .string(Self.secret)]]])
        #expect(allowed.logs.isEmpty)
    }
}
