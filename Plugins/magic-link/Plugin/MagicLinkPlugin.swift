import GatehouseJSON
import PluginKit

/// Better Auth 1.7.1's magic-link plugin: `POST /sign-in/magic-link` emails a one-time link (the
/// host's `magic-link` email template), and `GET /magic-link/verify` uses it up, creates the user
/// if needed (unless `disableSignUp`), proves the address (`users.proveEmail`, ABI 1.5 host) and
/// signs in. Built on PluginKit only; tokens live in the core `verification` table.
struct MagicLinkPlugin: GatehousePlugin {
    static let id = "magic-link"
    static let version = "1.0.0"
    static let name = "Magic link"
    static let manifest = MagicLinkManifest.json

    let sender: LinkSender
    let verification: LinkVerification

    init(host: PluginHost, settings: JSONValue) throws {
        let settings = try MagicLinkSettings(settings)
        if settings.allowedAttempts != 1 {
            host.log(.warning, "magic-link: allowedAttempts is ignored: a link is used up by its first verification (Better Auth 1.7)")
        }
        let info = try host.call("host.info", [:])
        let baseURL = info["baseURL"]?.stringValue ?? ""
        guard let origin = URLText.origin(of: baseURL) else {
            throw PluginError(code: "INVALID_SETTINGS", message: "magic-link needs an absolute baseURL")
        }
        let emailAvailable = info["email"]?.boolValue ?? false
        if !emailAvailable {
            host.log(.warning, "magic-link: no email transport is configured, so /sign-in/magic-link answers 400 EMAIL_NOT_CONFIGURED")
        }
        let tokens = MagicLinkTokens(host: host, storage: settings.storeToken, expiresIn: settings.expiresIn)
        let verifyURL = baseURL + (info["basePath"]?.stringValue ?? "") + "/magic-link/verify"
        sender = LinkSender(host: host, tokens: tokens, verifyURL: verifyURL, emailAvailable: emailAvailable)
        verification = LinkVerification(host: host, tokens: tokens, disableSignUp: settings.disableSignUp, origin: origin)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        guard case .endpoint(let index) = call.kind, let endpoint = MagicLinkManifest.Endpoint(rawValue: index) else {
            return .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
        switch endpoint {
        case .signIn: return try sender.send(call)
        case .verify: return try verification.verify(call)
        }
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: MagicLinkPlugin.self) }
