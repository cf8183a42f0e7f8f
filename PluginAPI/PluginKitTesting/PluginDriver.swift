import Foundation
import GatehouseHostABI
import GatehouseJSON
import GatehousePluginABI
@_spi(PluginKitTesting) import PluginKit
import SwiftToolchainVersion

/// One live plugin instance the fake host calls.
protocol PluginDriver: AnyObject {
    func handle(_ kind: PluginCall.Kind, _ envelope: JSONValue) throws -> JSONValue
    /// Ends the instance (`quiesce`, then `deinit`); nothing is called after.
    func stop()
}

/// A Swift plugin type created and called directly, as PluginExport does, but without the
/// exported symbol: PluginExport exports one type per library, and a test process may hold many.
final class TypeDriver<P: GatehousePlugin>: PluginDriver {
    private var plugin: P?

    init(api: UnsafePointer<gh_host_api>, handle: OpaquePointer, settings: JSONValue) throws {
        do {
            plugin = try P(host: PluginHost(api: api, handle: handle), settings: settings)
        } catch let failure as PluginError {
            throw FakeHostError("\(P.id): init failed: \(failure.message)")
        } catch {
            throw FakeHostError("\(P.id): init failed: \(error)")
        }
    }

    func handle(_ kind: PluginCall.Kind, _ envelope: JSONValue) throws -> JSONValue {
        guard let plugin else { throw FakeHostError("\(P.id) was stopped") }
        do {
            return .object(try plugin.handle(PluginCall(kind: kind, envelope: envelope)).json)
        } catch let failure as PluginError {
            return .object(PluginAnswer.error(status: failure.status, code: failure.code, message: failure.message).json)
        } catch {
            throw FakeHostError("\(P.id) failed, which the host answers with 500 PLUGIN_ERROR: \(error)")
        }
    }

    func stop() { plugin = nil }
}

/// A plugin reached through its C descriptor only, as the server reaches it: a C plugin, or any
/// plugin's built library.
final class DescriptorDriver: PluginDriver {
    /// What the fake host needs to know before `init`.
    struct Facts {
        let descriptor: UnsafePointer<gh_plugin_descriptor>
        let id: String
        let manifest: JSONValue
        let abiMinor: Int
    }

    private let descriptor: UnsafePointer<gh_plugin_descriptor>
    private let id: String
    private let state: UnsafeMutableRawPointer?
    private var stopped = false

    static func facts(_ raw: UnsafeRawPointer) throws -> Facts {
        let descriptor = raw.assumingMemoryBound(to: gh_plugin_descriptor.self)
        let d = descriptor.pointee
        guard d.abi_major == GATEHOUSE_ABI_MAJOR else { throw FakeHostError("built for ABI \(d.abi_major).\(d.abi_minor), not \(GATEHOUSE_ABI_MAJOR).x") }
        guard Int(d.struct_size) >= MemoryLayout<gh_plugin_descriptor>.size, d.`init` != nil, d.handle != nil, d.free_buf != nil,
              let id = d.id.map({ String(cString: $0) }), let text = d.manifest_json.map({ String(cString: $0) }) else {
            throw FakeHostError("the descriptor lacks id, manifest_json, init, handle or free_buf")
        }
        // Linux Swift has no stable ABI: a Swift plugin built with another toolchain cannot run here.
        if let toolchain = d.swift_toolchain.map({ String(cString: $0) }), toolchain != SwiftToolchainVersion.current {
            throw FakeHostError("\(id) was built with Swift \(toolchain), these tests with \(SwiftToolchainVersion.current)")
        }
        let manifest = try? JSONValue.parse(Array(text.utf8))
        guard let manifest, manifest.objectValue != nil else { throw FakeHostError("\(id): the manifest is not a JSON object") }
        return Facts(descriptor: descriptor, id: id, manifest: manifest, abiMinor: Int(d.abi_minor))
    }

    init(_ facts: Facts, api: UnsafePointer<gh_host_api>, handle: OpaquePointer, settings: [UInt8]) throws {
        let descriptor = facts.descriptor
        var state: UnsafeMutableRawPointer?
        var error = gh_buf(ptr: nil, len: 0)
        let status = ABIBuffers.lend(settings) { descriptor.pointee.`init`!(api, handle, $0, &state, &error) }
        let message = String(decoding: ABIBuffers.bytes(error), as: UTF8.self)
        descriptor.pointee.free_buf!(error)
        guard status == GH_OK else { throw FakeHostError("\(facts.id): init failed: \(message.isEmpty ? "status \(status.rawValue)" : message)") }
        self.descriptor = descriptor
        self.id = facts.id
        self.state = state
    }

    func handle(_ kind: PluginCall.Kind, _ envelope: JSONValue) throws -> JSONValue {
        guard !stopped else { throw FakeHostError("\(id) was stopped") }
        let (callback, index) = kind.abi
        var out = gh_buf(ptr: nil, len: 0)
        let status = ABIBuffers.lend(envelope.serializedBytes()) { descriptor.pointee.handle!(state, callback, index, $0, &out) }
        let bytes = ABIBuffers.bytes(out)
        descriptor.pointee.free_buf!(out)
        guard status == GH_OK else { throw FakeHostError("\(id) answered status \(status.rawValue), which the host answers with 500 PLUGIN_ERROR") }
        guard !bytes.isEmpty else { return [:] }
        guard let answer = try? JSONValue.parse(bytes) else { throw FakeHostError("Plugin \(id) answered invalid JSON") }
        return answer
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        descriptor.pointee.quiesce?(state)
        descriptor.pointee.`deinit`?(state)
    }
}

extension PluginCall.Kind {
    /// The callback kind and manifest index of the C call.
    var abi: (gh_callback_kind, UInt32) {
        switch self {
        case .endpoint(let i): (GH_CALL_ENDPOINT, UInt32(i))
        case .beforeHook(let i): (GH_CALL_BEFORE_HOOK, UInt32(i))
        case .afterHook(let i): (GH_CALL_AFTER_HOOK, UInt32(i))
        case .middleware(let i): (GH_CALL_MIDDLEWARE, UInt32(i))
        case .onRequest: (GH_CALL_ON_REQUEST, 0)
        case .onResponse: (GH_CALL_ON_RESPONSE, 0)
        case .event(let i): (GH_CALL_EVENT, UInt32(i))
        case .job(let i): (GH_CALL_JOB, UInt32(i))
        case .service(let i): (GH_CALL_SERVICE, UInt32(i))
        }
    }
}
