import Foundation
import GatehouseJSON
import GatehousePluginABI
import SwiftToolchainVersion

/// Builds the constant descriptor for a Swift plugin type; see `GatehousePlugin` for the one
/// line that exports it. A library exports exactly one plugin.
public enum PluginExport {
    /// The plugin type this library exports, fixed by the first `descriptor(for:)` call.
    nonisolated(unsafe) private static var exported: (any GatehousePlugin.Type)?
    nonisolated(unsafe) private static var built: UnsafeMutablePointer<gh_plugin_descriptor>?
    private static let lock = NSLock()

    public static func descriptor<P: GatehousePlugin>(for type: P.Type) -> UnsafeRawPointer {
        lock.lock()
        defer { lock.unlock() }
        if let built { return UnsafeRawPointer(built) }
        exported = type
        let descriptor = UnsafeMutablePointer<gh_plugin_descriptor>.allocate(capacity: 1)
        descriptor.initialize(to: gh_plugin_descriptor(
            struct_size: UInt32(MemoryLayout<gh_plugin_descriptor>.size),
            abi_major: UInt16(GATEHOUSE_ABI_MAJOR), abi_minor: UInt16(GATEHOUSE_ABI_MINOR),
            id: permanent(P.id), version: permanent(P.version), name: permanent(P.name),
            swift_toolchain: permanent(SwiftToolchainVersion.current), manifest_json: permanent(P.manifest.serialized()),
            init: { api, handle, config, state, error in PluginExport.start(api, handle, config, state, error) },
            reconfigure: nil,
            quiesce: nil,
            deinit: { state in
                if let state { Unmanaged<Instance>.fromOpaque(state).release() }
            },
            handle: { state, kind, index, envelope, out in PluginExport.dispatch(state, kind, index, envelope, out) },
            free_buf: { buf in free(buf.ptr) }
        ))
        built = descriptor
        return UnsafeRawPointer(descriptor)
    }

    /// Boxes the plugin instance so C can hold it as `void *`.
    private final class Instance {
        let plugin: any GatehousePlugin
        init(_ plugin: any GatehousePlugin) { self.plugin = plugin }
    }

    private static func permanent(_ text: String) -> UnsafePointer<CChar> {
        UnsafePointer(strdup(text)!)
    }

    private static func start(_ api: UnsafePointer<gh_host_api>?, _ handle: OpaquePointer?, _ config: gh_bytes,
                              _ state: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ outError: UnsafeMutablePointer<gh_buf>?) -> gh_status {
        guard let api, let exported else { return GH_ERROR }
        do {
            let settings = try JSONValue.parse(PluginHost.copy(gh_buf(ptr: UnsafeMutablePointer(mutating: config.ptr), len: config.len)) ?? Array("{}".utf8))
            let plugin = try exported.init(host: PluginHost(api: api, handle: handle), settings: settings)
            state?.pointee = Unmanaged.passRetained(Instance(plugin)).toOpaque()
            return GH_OK
        } catch let failure as PluginError {
            fill(outError, Array(failure.message.utf8))
            return GH_ERROR
        } catch {
            fill(outError, Array("\(error)".utf8))
            return GH_ERROR
        }
    }

    private static func dispatch(_ state: UnsafeMutableRawPointer?, _ kind: gh_callback_kind, _ index: UInt32, _ envelope: gh_bytes,
                                 _ out: UnsafeMutablePointer<gh_buf>?) -> gh_status {
        guard let state else { return GH_ERROR }
        let plugin = Unmanaged<Instance>.fromOpaque(state).takeUnretainedValue().plugin
        let i = Int(index)
        let callKind: PluginCall.Kind
        switch kind {
        case GH_CALL_ENDPOINT: callKind = .endpoint(i)
        case GH_CALL_BEFORE_HOOK: callKind = .beforeHook(i)
        case GH_CALL_AFTER_HOOK: callKind = .afterHook(i)
        case GH_CALL_MIDDLEWARE: callKind = .middleware(i)
        case GH_CALL_ON_REQUEST: callKind = .onRequest
        case GH_CALL_ON_RESPONSE: callKind = .onResponse
        case GH_CALL_EVENT: callKind = .event(i)
        case GH_CALL_JOB: callKind = .job(i)
        case GH_CALL_SERVICE: callKind = .service(i)
        default: return GH_UNSUPPORTED
        }
        let answer: PluginAnswer
        do {
            let bytes = PluginHost.copy(gh_buf(ptr: UnsafeMutablePointer(mutating: envelope.ptr), len: envelope.len)) ?? []
            answer = try plugin.handle(PluginCall(kind: callKind, envelope: try JSONValue.parse(bytes)))
        } catch let failure as PluginError {
            answer = .error(status: failure.status, code: failure.code, message: failure.message)
        } catch {
            return GH_ERROR
        }
        fill(out, JSONValue.object(answer.json).serializedBytes())
        return GH_OK
    }

    private static func fill(_ out: UnsafeMutablePointer<gh_buf>?, _ bytes: [UInt8]) {
        guard let out, !bytes.isEmpty, let memory = malloc(bytes.count) else { return }
        bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        out.pointee = gh_buf(ptr: memory.assumingMemoryBound(to: UInt8.self), len: bytes.count)
    }
}
