import GatehouseJSON
import PluginKit

/// Better Auth 1.7's multi-session plugin: one browser holds several accounts at once, each
/// session remembered in a signed device cookie, and switches between them. Built on PluginKit
/// only.
struct MultiSessionPlugin: GatehousePlugin {
    static let id = "multi-session"
    static let version = "1.0.0"
    static let name = "Multiple sessions"
    static let manifest = MultiSessionManifest.json

    let host: PluginHost
    let routes: DeviceSessionRoutes
    let tracking: SessionTracking

    init(host: PluginHost, settings: JSONValue) throws {
        self.host = host
        let settings = try MultiSessionSettings(settings)
        let cookies = DeviceCookies(host: host)
        let sessions = DeviceSessions(host: host)
        routes = DeviceSessionRoutes(cookies: cookies, sessions: sessions)
        tracking = SessionTracking(cookies: cookies, sessions: sessions, maximumSessions: settings.maximumSessions)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        do {
            switch call.kind {
            case .endpoint(MultiSessionManifest.Endpoint.listDeviceSessions.rawValue): return try routes.list(call)
            case .endpoint(MultiSessionManifest.Endpoint.setActive.rawValue): return try routes.setActive(call)
            case .endpoint(MultiSessionManifest.Endpoint.revoke.rawValue): return try routes.revoke(call)
            case .afterHook(MultiSessionManifest.AfterHook.sessionStarted.rawValue):
                // The session exists already: without its device cookie the sign-in still stands.
                do { return try tracking.sessionStarted(call) } catch let failure as PluginError where failure.detail != nil {
                    host.log(.error, "multi-session: no device cookie for a new session (\(failure.code))")
                    return .keep
                }
            case .afterHook(MultiSessionManifest.AfterHook.signedOut.rawValue): return try tracking.signedOut(call)
            default: return .error(status: 404, code: "NOT_FOUND", message: "Not found")
            }
        } catch let failure as PluginError where failure.detail != nil {
            throw hostFailure(failure)
        }
    }

    /// A failed host operation: logged by its code (never a token) and answered without the
    /// host's wording.
    private func hostFailure(_ failure: PluginError) -> PluginError {
        host.log(.error, "multi-session: a host operation failed (\(failure.code))")
        return failure.answered()
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: MultiSessionPlugin.self) }
