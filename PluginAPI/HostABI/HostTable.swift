import Foundation
import GatehousePluginABI

/// The one `gh_host_api` table a host hands every plugin, allocated once and never freed.
public enum HostTable {
    /// A table with `struct_size`, the header's ABI version, `free_buf` = `free` (the pair of
    /// `ABIBuffers.fill`'s `malloc`) and `hash` (which needs no host state) set; `functions` sets
    /// the host's other functions.
    public static func allocate(_ functions: (inout gh_host_api) -> Void) -> UnsafePointer<gh_host_api> {
        var api = gh_host_api()
        api.struct_size = UInt32(MemoryLayout<gh_host_api>.size)
        api.abi_major = UInt16(GATEHOUSE_ABI_MAJOR)
        api.abi_minor = UInt16(GATEHOUSE_ABI_MINOR)
        api.free_buf = { buf in free(buf.ptr) }
        api.hash = { _, alg, data, out in
            guard let digest = HashAlgorithm.digest(alg, ABIBuffers.bytes(data)) else { return GH_UNSUPPORTED }
            ABIBuffers.fill(out, digest)
            return GH_OK
        }
        functions(&api)
        let table = UnsafeMutablePointer<gh_host_api>.allocate(capacity: 1)
        table.initialize(to: api)
        return UnsafePointer(table)
    }
}
