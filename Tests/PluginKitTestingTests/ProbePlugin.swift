import GatehouseJSON
import PluginKit

/// A plugin that hands the test's requests to the host, so the fake host's table and
/// operations can be checked through a real PluginHost.
struct ProbePlugin: GatehousePlugin {
    static let id = "probe"
    static let version = "1.0.0"
    static let name = "Probe"
    static let manifest: JSONValue = [
        "endpoints": [
            ["method": "POST", "path": "/probe/call"],
            ["method": "POST", "path": "/probe/quick", "blocking": false, "envelope": ["body"]],
            ["method": "GET", "path": "/probe/whoami/:tag", "auth": "session",
             "responseHeaders": ["Cache-Control": "no-store", "X-Frame-Options": "DENY"]],
            ["method": "POST", "path": "/probe/kv"],
            ["method": "POST", "path": "/probe/crypto"],
        ],
        "schema": ["tables": [["name": "note", "fields": [
            ["name": "userId", "type": "string", "references": ["model": "user", "field": "id", "onDelete": "cascade"]],
            ["name": "text", "type": "string"],
            ["name": "rank", "type": "number", "required": false],
            ["name": "createdAt", "type": "date", "defaultValue": "now"],
        ]]]],
        "jobs": [["name": "reminder"]],
        "services": ["echo"],
        "uses": [["plugin": "organization", "optional": true]],
        "events": [["name": "user.*"]],
    ]

    let host: PluginHost

    init(host: PluginHost, settings: JSONValue) throws {
        self.host = host
        host.log(.info, "probe ready: \(settings["mood"]?.stringValue ?? "calm")")
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .endpoint(0):
            if let userID = call.body["signIn"]?.stringValue { return .json(["token": nil]).signIn(userID: userID, tokenKey: "token") }
            return .json(try host.call(call.body["operation"]?.stringValue ?? "", call.body["request"] ?? [:]))
        case .endpoint(1):
            let refused = (try? host.call("host.info", [:])) == nil
            return .json(["callRefused": .bool(refused), "kv": host.kvGet("anything").map(JSONValue.string) ?? .null, "body": call.body])
        case .endpoint(2):
            let fromCookie = try host.session(of: PluginCall(kind: call.kind, envelope: ["headers": call.envelope["headers"] ?? [:]]))
            return .json(["email": call.session?["user"]?["email"] ?? .null, "tag": .string(call.param("tag") ?? ""),
                          "cookieUser": fromCookie?["user"]?["id"] ?? .null, "verbose": .string(call.query("verbose") ?? "")])
        case .endpoint(3):
            if let value = call.body["set"]?.stringValue { host.kvSet("key", value, ttlSeconds: Int64(call.body["ttl"]?.intValue ?? 0)) }
            return .json(["value": host.kvGet("key").map(JSONValue.string) ?? .null])
        case .endpoint(4):
            let text = call.body["text"]?.stringValue ?? ""
            let sealed = host.encrypt(text) ?? ""
            return .json(["sealed": .string(sealed), "opened": host.decrypt(call.body["open"]?.stringValue ?? sealed).map(JSONValue.string) ?? .null,
                          "hash": .string(host.hash(.sha256, Array(text.utf8)).map { Base64URL.encode($0) } ?? ""),
                          "passwordMatches": .bool(host.verifyPassword(text, hash: call.body["passwordHash"]?.stringValue ?? ""))])
        case .job:
            return .result(["ran": call.envelope])
        case .service:
            if call.envelope["request"]?["refuse"] == true { throw PluginError(status: 403, code: "NOT_YOURS", message: "Not yours") }
            return .result(["echo": call.envelope["request"] ?? .null, "caller": call.envelope["caller"] ?? .null])
        case .event:
            return .result(["seen": call.envelope["name"] ?? .null])
        default:
            return .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
    }
}
