import Foundation
import GatehousePluginABI

/// Moving bytes across the ABI on the host's side (the server's and the fake host's): reading
/// borrowed `gh_bytes`, filling host-owned `gh_buf`s from `malloc` (released by `free_buf`,
/// which `HostTable` makes `free`), lending bytes to a plugin's callback.
public enum ABIBuffers {
    public static func bytes(_ value: gh_bytes) -> [UInt8] {
        guard let ptr = value.ptr, value.len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: ptr, count: value.len))
    }

    public static func string(_ value: gh_bytes) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// The bytes of a buffer a plugin filled (the caller still frees it).
    public static func bytes(_ owned: gh_buf) -> [UInt8] {
        guard let ptr = owned.ptr, owned.len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: ptr, count: owned.len))
    }

    /// Fills `out` with a malloc'd copy of `bytes` (empty: `{NULL, 0}`).
    public static func fill(_ out: UnsafeMutablePointer<gh_buf>?, _ bytes: [UInt8]) {
        guard let out else { return }
        guard !bytes.isEmpty, let memory = malloc(bytes.count) else {
            out.pointee = gh_buf(ptr: nil, len: 0)
            return
        }
        bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        out.pointee = gh_buf(ptr: memory.assumingMemoryBound(to: UInt8.self), len: bytes.count)
    }

    public static func fill(_ out: UnsafeMutablePointer<gh_buf>?, _ text: String) {
        fill(out, Array(text.utf8))
    }

    /// Calls `body` with `bytes` lent as `gh_bytes` for the duration of the call.
    public static func lend<T>(_ bytes: [UInt8], _ body: (gh_bytes) -> T) -> T {
        bytes.withUnsafeBufferPointer { body(gh_bytes(ptr: $0.baseAddress, len: $0.count)) }
    }
}
