import GatehouseJSON
import PluginKit

/// Better Auth's passkey plugin (contract §7.2): WebAuthn registration and sign-in with the JSON
/// shapes of @simplewebauthn, and the `passkey` table. The relying-party checks are done here;
/// hashing, signatures and X.509 by the host.
struct PasskeyPlugin: GatehousePlugin {
    static let id = "passkey"
    static let version = "1.0.0"
    static let name = "Passkeys (WebAuthn)"
    static let manifest = PasskeyManifest.json

    let host: PluginHost
    let ceremonies: Ceremonies
    let management: Management

    init(host: PluginHost, settings: JSONValue) throws {
        self.host = host
        let info = try host.call("host.info", [:])
        let settings = try PasskeySettings(settings, baseURL: info["baseURL"]?.stringValue ?? "", appName: info["appName"]?.stringValue ?? "Gatehouse")
        ceremonies = Ceremonies(host: host, settings: settings)
        management = Management(store: ceremonies.store)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        if case .event = call.kind, let userID = call.envelope["payload"]?["user"]?["id"]?.stringValue {
            // user.unprovenAccessRevoked: the passkeys belong to whoever held the unproven account.
            _ = try host.call("db.delete", ["table": "passkey", "where": [["field": "userId", "value": .string(userID)]]])
            return PluginAnswer()
        }
        guard case .endpoint(let index) = call.kind, let endpoint = PasskeyManifest.Endpoint(rawValue: index) else {
            return .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
        switch endpoint {
        case .registerOptions: return try ceremonies.registrationOptions(call)
        case .verifyRegistration: return try ceremonies.verifyRegistration(call)
        case .authenticateOptionsGET, .authenticateOptionsPOST: return try ceremonies.authenticationOptions(call)
        case .verifyAuthentication: return try ceremonies.verifyAuthentication(call)
        case .list: return try management.list(call)
        case .delete: return try management.delete(call)
        case .update: return try management.update(call)
        }
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: PasskeyPlugin.self) }
