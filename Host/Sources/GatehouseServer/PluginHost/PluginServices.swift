import Foundation
import GatehouseJSON
import GatehousePluginABI
import Metrics
import NIOConcurrencyHelpers

/// Services between plugins (ABI 1.2). `services.call {plugin, service, request}` from one plugin
/// reaches `handle(GH_CALL_SERVICE, index, {service, request, caller})` of a plugin of the same
/// generation (each generation has its own registry, in its `AuthContext`), and the provider's
/// answer goes back to the caller unchanged. A plugin may call only the plugins its manifest lists
/// in `uses`.
///
/// The provider runs on the caller's own worker thread, which waits in `call` meanwhile: a hop to
/// another worker would hold two pool threads per call, and nested calls could then exhaust the
/// pool and deadlock. Nesting is cut at `maxDepth`, so a cycle (a uses b, b uses a) fails instead
/// of overflowing the stack. The call runs inside its caller's callback, so it counts as that
/// callback's in-flight work for the generation.
final class PluginServices: Sendable {
    static let operation = "services.call"
    static let maxDepth = 8

    /// Weak: the generation owns its plugins; the registry only finds them.
    private struct Entry: Sendable {
        weak var plugin: LoadedPlugin?
    }

    private let plugins = NIOLockedValueBox<[String: Entry]>([:])

    /// Records the generation's library plugins, once every one of them has started.
    func register(_ loaded: [LoadedPlugin]) {
        plugins.withLockedValue { registry in
            for plugin in loaded { registry[plugin.id] = Entry(plugin: plugin) }
        }
    }

    /// The generation's instance of plugin `id`, once every plugin of it has started.
    func plugin(_ id: String) -> LoadedPlugin? {
        plugins.withLockedValue { $0[id]?.plugin }
    }

    /// Runs `services.call` for the plugin behind `host`; answers the provider's answer bytes.
    func call(_ input: JSONValue, from host: PluginHostContext) throws -> [UInt8] {
        guard PluginThread.isWorker else { throw BlockingCallRefused() }
        let providerID = try HostOperations.required(input, "plugin")
        let service = try HostOperations.required(input, "service")
        guard let caller = plugin(host.pluginID) else {
            throw Self.failure(GH_ERROR, "NOT_READY", "services can be called once every plugin of the generation has started, not from init")
        }
        guard caller.manifest.uses.contains(where: { $0.plugin == providerID }) else {
            throw Self.failure(GH_DENIED, "PLUGIN_NOT_DECLARED", "plugin \(host.pluginID) does not list \"\(providerID)\" in its manifest's uses")
        }
        guard let provider = plugin(providerID) else {
            throw Self.failure(GH_NOT_FOUND, "PLUGIN_NOT_LOADED", "plugin \"\(providerID)\" is not loaded")
        }
        guard provider.speaks(minor: 2), let index = provider.manifest.services.firstIndex(of: service) else {
            throw Self.failure(GH_NOT_FOUND, "UNKNOWN_SERVICE", "plugin \"\(providerID)\" offers no service \"\(service)\"")
        }
        guard CallDepth.current < Self.maxDepth else {
            throw Self.failure(GH_DENIED, "SERVICE_DEPTH_EXCEEDED", "service calls nest deeper than \(Self.maxDepth)")
        }
        let envelope: JSONValue = ["service": .string(service), "request": input["request"] ?? .object([:]), "caller": .string(host.pluginID)]
        let (status, output) = CallDepth.nested { provider.serve(index, envelope: envelope) }
        let parsed = status == GH_OK ? (output.isEmpty ? .object([:]) : try? JSONValue.parse(output)) : nil
        guard let answer = parsed else {
            record(provider, service, ok: false)
            let reason = status == GH_OK ? "answered invalid JSON" : "status \(status.rawValue)"
            provider.host.logger.error("plugin service failed", metadata: ["service": "\(service)", "caller": "\(host.pluginID)", "reason": "\(reason)"])
            throw Self.failure(GH_ERROR, "SERVICE_FAILED", "service \(service) of plugin \(providerID) failed")
        }
        record(provider, service, ok: true)
        if let refusal = answer["error"], refusal.objectValue != nil { throw Self.refused(refusal) }
        return output.isEmpty ? answer.serializedBytes() : output
    }

    /// A refusal (`{"error": {status?, code?, message?}}`, what PluginKit answers for a thrown
    /// PluginError) reaches the caller as an error with the provider's code and status.
    private static func refused(_ error: JSONValue) -> HostOperations.Failure {
        let status = error["status"]?.intValue.flatMap { (400...599).contains($0) ? $0 : nil } ?? 400
        let message = error["message"]?.stringValue ?? "Service refused"
        let code = error["code"]?.stringValue ?? APIError.code(fromMessage: message)
        let abiStatus = switch status {
        case 403: GH_DENIED
        case 404: GH_NOT_FOUND
        default: GH_INVALID
        }
        return HostOperations.Failure(status: abiStatus, code: code, message: message, extra: [("status", .int(status))])
    }

    private static func failure(_ status: gh_status, _ code: String, _ message: String) -> HostOperations.Failure {
        HostOperations.Failure(status: status, code: code, message: message)
    }

    /// `gatehouse_plugin_service_calls_total{plugin, service, result}`: a refusal is an answer, so `ok`.
    private func record(_ provider: LoadedPlugin, _ service: String, ok: Bool) {
        Counter(label: "gatehouse_plugin_service_calls_total",
                dimensions: [("plugin", provider.id), ("service", service), ("result", ok ? "ok" : "failed")]).increment()
    }
}

/// How deeply plugin-to-plugin calls made on this worker thread nest (services, awaited events).
enum CallDepth {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var current: Int { Int(bitPattern: pthread_getspecific(key)) }

    static func nested<T>(_ body: () -> T) -> T {
        let depth = current
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: depth + 1))
        defer { pthread_setspecific(key, UnsafeRawPointer(bitPattern: depth)) }
        return body()
    }
}
