import Foundation
import GatehouseJSON
import PluginKit

/// `Authorization: Bearer <signed session token>` works wherever the session cookie works, and
/// answers that set a session carry it in `set-auth-token` (Better Auth's bearer plugin).
struct BearerPlugin: GatehousePlugin {
    static let id = "bearer"
    static let version = "1.0.0"
    static let name = "Bearer tokens"
    static let manifest: JSONValue = [
        "hooks": [
            "before": [["matcher": "/**", "requestHeader": "authorization", "envelope": ["headers"]]],
            "after": [["matcher": "/**", "responseSetsCookie": "session_token", "envelope": ["response"]]],
        ],
    ]

    let host: PluginHost
    /// `plugins.bearer.requireSignature`: refuse raw (unsigned) tokens.
    let requireSignature: Bool
    let sessionCookie: String

    init(host: PluginHost, settings: JSONValue) throws {
        self.host = host
        requireSignature = settings["requireSignature"]?.boolValue ?? false
        sessionCookie = host.cookieName("session_token")
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .beforeHook: return injectCookie(call)
        case .afterHook: return exposeToken(call)
        default: return .proceed
        }
    }

    /// Turns a valid bearer token into the session cookie the rest of the server reads.
    private func injectCookie(_ call: PluginCall) -> PluginAnswer {
        guard let header = call.header("authorization"), header.lowercased().hasPrefix("bearer ") else { return .proceed }
        var token = header.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        if token.contains("%") { token = token.removingPercentEncoding ?? token }
        let signed: String
        if token.contains(".") {
            guard host.verify(token) != nil else { return .proceed }  // an invalid signature is ignored
            signed = token
        } else {
            guard !requireSignature, let made = host.sign(token) else { return .proceed }
            signed = made
        }
        let others = (call.header("cookie") ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix(sessionCookie + "=") }
        return .proceed.patchHeader("cookie", (others + ["\(sessionCookie)=\(signed)"]).joined(separator: "; "))
    }

    /// Copies the new session cookie's signed value into `set-auth-token`.
    private func exposeToken(_ call: PluginCall) -> PluginAnswer {
        let prefix = sessionCookie + "="
        guard let cookie = call.response?["setCookies"]?.arrayValue?.compactMap(\.stringValue).last(where: { $0.hasPrefix(prefix) }) else {
            return .keep
        }
        let raw = cookie.dropFirst(prefix.count).prefix { $0 != ";" }
        let value = String(raw).removingPercentEncoding ?? String(raw)
        guard !value.isEmpty else { return .keep }
        let exposed = call.response?["headers"]?["access-control-expose-headers"]?.stringValue
        return .keep.header("set-auth-token", value)
            .header("access-control-expose-headers", exposed.map { $0 + ", set-auth-token" } ?? "set-auth-token")
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: BearerPlugin.self) }
