import Foundation
import GatehouseJSON
import PluginKit

/// Better Auth's one-time-token plugin: a signed-in client asks for a short-lived token and hands
/// it to another client (a browser opening a native app, say), which redeems it once for the same
/// session. Tokens live in the core `verification` table as `one-time-token:<token>` → the
/// session token, and redeeming one deletes it, so it works once even under concurrent requests.
struct OneTimeTokenPlugin: GatehousePlugin {
    static let id = "one-time-token"
    static let version = "1.0.0"
    static let name = "One-time tokens"
    static let manifest: JSONValue = [
        "endpoints": [
            ["method": "GET", "path": "/one-time-token/generate", "auth": "session", "envelope": ["session"],
             "summary": "A single-use token for the current session"],
            ["method": "POST", "path": "/one-time-token/verify", "envelope": ["body"],
             "summary": "Redeem a one-time token for its session (and its cookies)",
             "body": ["properties": [["name": "token", "type": "string", "required": true]]]],
        ],
        "hooks": ["after": [["matcher": "/**", "whenNewSession": true, "envelope": ["newSession", "response"]]]],
        "errorCodes": ["INVALID_TOKEN": "Invalid token", "SESSION_NOT_FOUND": "Session not found", "SESSION_EXPIRED": "Session expired"],
    ]

    private static let alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    let host: PluginHost
    let settings: OneTimeTokenSettings

    init(host: PluginHost, settings: JSONValue) throws {
        self.host = host
        self.settings = try OneTimeTokenSettings(settings)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .endpoint(0):
            guard let session = call.session?["session"]?["token"]?.stringValue else {
                return .error(status: 401, code: "UNAUTHORIZED", message: "Unauthorized")
            }
            return .json(["token": .string(try issue(for: session))])
        case .endpoint(1):
            return try redeem(call.body["token"]?.stringValue ?? "")
        case .afterHook:
            return try exposeToken(call)
        default:
            return .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
    }

    /// A new token for the session with token `sessionToken`.
    private func issue(for sessionToken: String) throws -> String {
        let token = host.randomText(32, alphabet: Self.alphabet)
        _ = try host.call("verifications.create", ["identifier": .string(try identifier(token)), "value": .string(sessionToken),
                                                   "expiresIn": .number(settings.lifetime)])
        return token
    }

    /// Uses the token up, then answers `{session, user}` with that session's cookies.
    private func redeem(_ token: String) throws -> PluginAnswer {
        guard !token.isEmpty,
              let sessionToken = try host.call("verifications.consume", ["identifier": .string(try identifier(token))])["value"]?.stringValue
        else { return .error(status: 400, code: "INVALID_TOKEN", message: "Invalid token") }
        guard let found = try host.call("sessions.find", ["token": .string(sessionToken)])["session"]?.nonNull else {
            return .error(status: 400, code: "SESSION_NOT_FOUND", message: "Session not found")
        }
        guard let expiresAt = ISODate.parse(found["session"]?["expiresAt"]), expiresAt > Date() else {
            return .error(status: 400, code: "SESSION_EXPIRED", message: "Session expired")
        }
        let answer = PluginAnswer.json(found)
        return settings.disableSetSessionCookie ? answer : answer.signIn(sessionToken: sessionToken)
    }

    /// `setOttHeaderOnNewSession`: a token for the session this request created, in `set-ott`,
    /// exposed to browser scripts across origins.
    private func exposeToken(_ call: PluginCall) throws -> PluginAnswer {
        guard settings.setOttHeaderOnNewSession, let session = call.newSession?["session"]?["token"]?.stringValue else { return .keep }
        let exposed = (call.response?["headers"]?["access-control-expose-headers"]?.stringValue ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0.lowercased() != "set-ott" }
        return .keep.header("set-ott", try issue(for: session)).header("access-control-expose-headers", (exposed + ["set-ott"]).joined(separator: ", "))
    }

    private func identifier(_ token: String) throws -> String {
        switch settings.storeToken {
        case .plain: "one-time-token:\(token)"
        case .hashed: "one-time-token:" + (try host.hashedKey(token))
        }
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: OneTimeTokenPlugin.self) }
