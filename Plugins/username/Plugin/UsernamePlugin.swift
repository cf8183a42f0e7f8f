import GatehouseJSON
import PluginKit

/// Better Auth 1.7's username plugin: `user.username` (unique, stored lower-cased) and
/// `displayUsername` on sign-up and update-user, sign-in with a username and password, and an
/// availability check. Built on PluginKit only; the host verifies passwords and starts sessions.
struct UsernamePlugin: GatehousePlugin {
    static let id = "username"
    static let version = "1.0.0"
    static let name = "Usernames"
    static let manifest = UsernameManifest.json

    let host: PluginHost
    let profile: ProfileHooks
    let signIn: UsernameSignIn

    init(host: PluginHost, settings: JSONValue) throws {
        self.host = host
        let db = PluginDatabase(host: host)
        let rules = UsernameRules(settings: try UsernameSettings(settings), db: db)
        profile = ProfileHooks(host: host, rules: rules)
        signIn = UsernameSignIn(host: host, rules: rules, verification: try .init(info: host.call("host.info", [:])))
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        do {
            switch call.kind {
            case .endpoint(UsernameManifest.Endpoint.signIn.rawValue): return try signIn.signIn(call)
            case .endpoint(UsernameManifest.Endpoint.isUsernameAvailable.rawValue): return try signIn.isUsernameAvailable(call)
            case .beforeHook(UsernameManifest.BeforeHook.signUp.rawValue): return try profile.signUp(call)
            case .beforeHook(UsernameManifest.BeforeHook.updateUser.rawValue): return try profile.updateUser(call)
            case .beforeHook(UsernameManifest.BeforeHook.adminCreateUser.rawValue): return try profile.adminCreateUser(call)
            case .beforeHook(UsernameManifest.BeforeHook.adminUpdateUser.rawValue): return try profile.adminUpdateUser(call)
            default: return .error(status: 404, code: "NOT_FOUND", message: "Not found")
            }
        } catch let failure as PluginError where failure.detail != nil {
            throw hostFailure(failure)
        }
    }

    /// A failed host operation: logged by its code (never the request, which holds a password)
    /// and answered without the host's wording.
    private func hostFailure(_ failure: PluginError) -> PluginError {
        host.log(.error, "username: a host operation failed (\(failure.code))")
        return failure.answered(fallback: UsernameError.UNEXPECTED_ERROR.failure)
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: UsernamePlugin.self) }
