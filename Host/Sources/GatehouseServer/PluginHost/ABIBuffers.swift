import Foundation
import GatehousePluginABI

/// Moving bytes across the ABI: reading borrowed `gh_bytes`, filling host-owned `gh_buf`s.
enum ABIBuffers {
    static func bytes(_ value: gh_bytes) -> [UInt8] {
        guard let ptr = value.ptr, value.len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: ptr, count: value.len))
    }

    static func string(_ value: gh_bytes) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// Fills `out` with a malloc'd copy (released by the host's `free_buf`, which is `free`).
    static func fill(_ out: UnsafeMutablePointer<gh_buf>?, _ bytes: [UInt8]) {
        guard let out else { return }
        guard !bytes.isEmpty, let memory = malloc(bytes.count) else {
            out.pointee = gh_buf(ptr: nil, len: 0)
            return
        }
        bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        out.pointee = gh_buf(ptr: memory.assumingMemoryBound(to: UInt8.self), len: bytes.count)
    }

    static func fill(_ out: UnsafeMutablePointer<gh_buf>?, _ text: String) {
        fill(out, Array(text.utf8))
    }

    /// Calls `body` with `bytes` lent as `gh_bytes` for the duration of the call.
    static func lend<T>(_ bytes: [UInt8], _ body: (gh_bytes) -> T) -> T {
        bytes.withUnsafeBufferPointer { body(gh_bytes(ptr: $0.baseAddress, len: $0.count)) }
    }
}

/// A C pointer handed between threads. The ABI's rules (docs/plugin-abi.md) make the pointee
/// safe to use concurrently: descriptors are constant, plugin state must be thread-safe.
struct ABIPointer<Pointer>: @unchecked Sendable {
    let pointer: Pointer
}
