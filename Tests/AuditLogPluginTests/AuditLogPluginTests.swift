import Foundation
import GatehouseJSON
import PluginKit
import PluginKitTesting
import Testing

/// The audit-log plugin on PluginKitTesting's fake host, through the library `swift build` made
/// (`libaudit-log.so`): a test target cannot link a second plugin target (every plugin defines the
/// entry symbol, and all test targets share one test binary).
struct AuditLogPluginTests {
    static let stamp: JSONValue = ["ipAddress": "203.0.113.7", "userAgent": "audit-test/1.0"]

    static func auditLog(_ settings: JSONValue = [:]) throws -> FakeHost {
        try FakeHost(library: FakeHost.builtLibrary("audit-log"), settings: settings)
    }

    /// Delivers `name` with `payload` plus the request stamp the host adds.
    @discardableResult
    static func deliver(_ host: FakeHost, _ name: String, _ payload: JSONValue, source: String = "core") throws -> FakeHost.Answer? {
        var stamped = payload.objectValue ?? [:]
        for (key, value) in stamp.objectValue ?? [:] { stamped[key] = value }
        return try host.deliverEvent(name, payload: .object(stamped), source: source)
    }

    @Test func eachEventIsOneRowAboutItsUser() throws {
        let host = try Self.auditLog()
        try Self.deliver(host, "user.created", ["user": ["id": "u1", "email": "ada@example.com"]])
        try Self.deliver(host, "session.revoked", ["session": ["id": "s1", "userId": "u2"]])
        try Self.deliver(host, "signIn.failed", ["email": "ada@example.com", "userId": "u1", "reason": "INVALID_EMAIL_OR_PASSWORD"])
        try Self.deliver(host, "signIn.failed", ["email": "nobody@example.com", "userId": nil, "reason": "INVALID_EMAIL_OR_PASSWORD"])
        try Self.deliver(host, "organization.member.added", ["organizationId": "o1", "member": ["id": "m1", "userId": "u3"]], source: "organization")
        try Self.deliver(host, "twoFactor.enabled", ["userId": "u4"], source: "two-factor")
        let rows = host.rows("auditLog")
        #expect(rows.map { $0["type"]?.stringValue } == ["user.created", "session.revoked", "signIn.failed", "signIn.failed",
                                                        "organization.member.added", "twoFactor.enabled"])
        #expect(rows.map { $0["userId"]?.stringValue } == ["u1", "u2", "u1", nil, "u3", "u4"])
        #expect(rows.allSatisfy { $0["ipAddress"] == "203.0.113.7" && $0["userAgent"] == "audit-test/1.0" })
        #expect(rows[0]["data"] == ["user": ["id": "u1", "email": "ada@example.com"]])
    }

    @Test func profileUpdatesAreNotRecorded() throws {
        let host = try Self.auditLog()
        #expect(try Self.deliver(host, "user.updated", ["user": ["id": "u1"]]) == nil)
        #expect(host.rows("auditLog").isEmpty)
        let subscriptions = host.manifest["events"]?.arrayValue ?? []
        #expect(subscriptions.allSatisfy { $0["sync"] == true })
    }

    @Test func usersReadTheirOwnEntriesNewestFirst() throws {
        let host = try Self.auditLog()
        let ada = try host.createUser(email: "ada@example.com")
        let adaID = ada["id"]?.stringValue ?? ""
        for (index, type) in ["session.created", "password.changed", "session.revoked"].enumerated() {
            try host.insert("auditLog", ["type": .string(type), "userId": .string(adaID),
                                         "createdAt": .string(ISODate.format(Date(timeIntervalSince1970: 1_800_000_000 + Double(index))))])
        }
        try host.insert("auditLog", ["type": "session.created", "userId": "someone-else"])
        let session = try host.signIn(ada)
        let all = try host.request("GET", "/audit-log/list", session: session)
        #expect(all.status == 200)
        #expect(all.body["total"] == 3)
        #expect(all.body["entries"]?.arrayValue?.map { $0["type"]?.stringValue } == ["session.revoked", "password.changed", "session.created"])
        let page = try host.request("GET", "/audit-log/list?limit=1&offset=1", session: session)
        #expect(page.body["entries"]?.arrayValue?.map { $0["type"]?.stringValue } == ["password.changed"])
        #expect(page.body["total"] == 3)
        let filtered = try host.request("GET", "/audit-log/list?type=session.created", session: session)
        #expect(filtered.body["total"] == 1)
        #expect(try host.request("GET", "/audit-log/list").status == 401)
    }

    @Test func badPagingIsRefused() throws {
        let host = try Self.auditLog()
        let session = try host.signIn(try host.createUser(email: "ada@example.com"))
        for query in ["limit=ten", "limit=-1", "limit=0", "offset=-5", "offset=1.5", "offset=1000000000000001"] {
            let answer = try host.request("GET", "/audit-log/list?\(query)", session: session)
            #expect(answer.status == 400, "\(query)")
            #expect(answer.code == "INVALID_QUERY")
        }
    }

    @Test func onlyAdministratorsReadEveryone() throws {
        let host = try Self.auditLog(["adminUserIds": ["admin-1"]])
        try host.insert("user", ["id": "admin-1", "email": "admin@example.com", "name": "Admin", "emailVerified": true])
        let admin = try host.signIn(userID: "admin-1")
        let other = try host.signIn(try host.createUser(email: "eve@example.com"))
        try host.insert("auditLog", ["type": "signIn.failed", "userId": "victim"])
        try host.insert("auditLog", ["type": "session.created", "userId": "victim"])
        try host.insert("auditLog", ["type": "session.created", "userId": "bystander"])
        let refused = try host.request("GET", "/audit-log/admin/list", session: other)
        #expect(refused.status == 403)
        #expect(refused.code == "FORBIDDEN")
        #expect(try host.request("GET", "/audit-log/admin/list", session: admin).body["total"] == 3)
        #expect(try host.request("GET", "/audit-log/admin/list?userId=victim", session: admin).body["total"] == 2)
        #expect(try host.request("GET", "/audit-log/admin/list?userId=victim&type=signIn.failed", session: admin).body["total"] == 1)
    }

    @Test func retentionPurgesOldRowsAndZeroKeepsThem() throws {
        let old = ISODate.format(Date().addingTimeInterval(-91 * 86_400))
        let host = try Self.auditLog()
        #expect(host.scheduledJobs.map(\.name) == ["purge"])          // the run at start
        try host.insert("auditLog", ["type": "session.created", "userId": "u1", "createdAt": .string(old)])
        try host.insert("auditLog", ["type": "session.created", "userId": "u1"])
        #expect(try host.runJob("purge")["purged"] == 1)
        #expect(host.rows("auditLog").count == 1)

        let keeper = try Self.auditLog(["retentionDays": 0])
        #expect(keeper.scheduledJobs.isEmpty)
        try keeper.insert("auditLog", ["type": "session.created", "userId": "u1", "createdAt": .string(old)])
        #expect(try keeper.runJob("purge")["purged"] == 0)
        #expect(keeper.rows("auditLog").count == 1)
    }

    @Test func invalidSettingsNameTheirKey() throws {
        let cases: [(JSONValue, String)] = [
            (["retentionDays": -1], "plugins.audit-log.retentionDays"),
            (["retentionDays": .number(1.5)], "plugins.audit-log.retentionDays"),
            (["retentionDays": "90"], "plugins.audit-log.retentionDays"),
            (["adminUserIds": "u1"], "plugins.audit-log.adminUserIds"),
            (["adminUserIds": ["u1", 2]], "plugins.audit-log.adminUserIds[1]"),
        ]
        for (settings, key) in cases {
            let error = #expect(throws: FakeHostError.self) { try Self.auditLog(settings) }
            #expect(error?.description.contains(key) == true, "\(settings)")
        }
    }
}
