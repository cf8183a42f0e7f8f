import SwiftToolchainVersion
import Foundation
import GatehousePluginABI

/// The ABI version this host speaks, from the header.
enum PluginABI {
    static let major = Int(GATEHOUSE_ABI_MAJOR)
    static let minor = Int(GATEHOUSE_ABI_MINOR)
    /// The descriptor size of ABI 1.0 (every later minor is at least this large).
    static let minimumDescriptorSize = MemoryLayout<gh_plugin_descriptor>.size
}

/// One plugin shared library, opened and checked before anything of it runs.
struct PluginLibrary: @unchecked Sendable {  // descriptor: constant static data
    /// The `.so` as found in the plugins directory.
    let sourcePath: String
    /// The private copy actually loaded (a replaced file at the same path would otherwise
    /// return the old, already-loaded code).
    let loadedPath: String
    let descriptor: UnsafePointer<gh_plugin_descriptor>
    /// What the trust checks found for the bytes that were loaded.
    var trust: PluginTrustVerdict
    /// The source file and its signature as they were when the loaded bytes were last read and
    /// checked (nil: read them again on the next reload).
    var sourceFingerprint: PluginFile.Fingerprint?

    var id: String { String(cString: descriptor.pointee.id) }
    var version: String { descriptor.pointee.version.map { String(cString: $0) } ?? "0.0.0" }
    var name: String { descriptor.pointee.name.map { String(cString: $0) } ?? id }
    var abiVersion: String { "\(descriptor.pointee.abi_major).\(descriptor.pointee.abi_minor)" }

    /// Validates the file's bytes (read and trusted before), copies exactly them to a unique path
    /// under `loadDirectory`, and opens that with `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` (a Swift
    /// library must never be unloaded).
    static func open(_ file: PluginFile, trust: PluginTrustVerdict, loadDirectory: String) throws(PluginLoadError) -> PluginLibrary {
        guard file.bytes.prefix(4) == Data([0x7F, 0x45, 0x4C, 0x46]) else { throw .notELF }
        let copy = loadDirectory + "/" + UUID().uuidString.lowercased() + "-" + (file.path as NSString).lastPathComponent
        do {
            try privateDirectory(loadDirectory)
            try file.bytes.write(to: URL(fileURLWithPath: copy), options: .withoutOverwriting)
        } catch {
            throw .openFailed("cannot copy to \(copy): \((error as? PluginTrustError)?.description ?? error.localizedDescription)")
        }
        // Once opened (or not), the copy can go: the mapping stays, and RTLD_NODELETE keeps the
        // library loaded. So can the then empty folder (made again, private, for the next load),
        // or one would be left in the temporary directory per process.
        defer {
            try? FileManager.default.removeItem(atPath: copy)
            rmdir(loadDirectory)
        }
        guard let library = dlopen(copy, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw .openFailed(dlerror().map { String(cString: $0) } ?? "unknown error")
        }
        guard let symbol = dlsym(library, GATEHOUSE_PLUGIN_ENTRY_SYMBOL) else { throw .missingEntrySymbol }
        let entry = unsafeBitCast(symbol, to: gh_plugin_entry_fn.self)
        guard let descriptor = entry() else { throw .invalidDescriptor("the entry returned NULL") }
        let d = descriptor.pointee
        guard Int(d.abi_major) == PluginABI.major, Int(d.abi_minor) <= PluginABI.minor else {
            throw .abiMismatch(pluginMajor: Int(d.abi_major), pluginMinor: Int(d.abi_minor))
        }
        guard Int(d.struct_size) >= PluginABI.minimumDescriptorSize else {
            throw .invalidDescriptor("struct_size \(d.struct_size) is smaller than ABI 1.0's \(PluginABI.minimumDescriptorSize)")
        }
        guard d.id != nil, d.manifest_json != nil, d.`init` != nil, d.deinit != nil, d.handle != nil, d.free_buf != nil else {
            throw .invalidDescriptor("id, manifest_json, init, deinit, handle and free_buf are required")
        }
        let id = String(cString: d.id)
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
            throw .invalidDescriptor("id \"\(id)\" must be lower-case letters, digits and '-'")
        }
        // Compared by major.minor, so "6.3.1" in a hand-written descriptor matches a 6.3 host.
        if let toolchain = d.swift_toolchain.map({ String(cString: $0) }),
            toolchain.split(separator: ".").prefix(2).joined(separator: ".") != SwiftToolchainVersion.current
        {
            throw .toolchainMismatch(plugin: toolchain)
        }
        return PluginLibrary(sourcePath: file.path, loadedPath: copy, descriptor: descriptor, trust: trust, sourceFingerprint: file.fingerprint)
    }

    /// Creates the load directory (mode 0700) and refuses one that another user could write
    /// into: it could swap the checked copy before `dlopen` reads it.
    private static func privateDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var info = stat()
        guard stat(path, &info) == 0 else { throw PluginTrustError.unreadable(path, reason: String(cString: strerror(errno))) }
        guard info.st_uid == geteuid() else { throw PluginTrustError.foreignOwner(path, uid: info.st_uid) }
        try PluginFile.checkOwnership(info, of: path)
    }
}
