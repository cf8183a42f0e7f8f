import Foundation

/// What identifies the contents of a file without reading it: a replaced or rewritten file gets
/// a new inode, size or modification time.
struct FileFingerprint: Hashable, Sendable {
    let inode: UInt64
    let size: UInt64
    let modified: Double

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        inode = UInt64(info.st_ino)
        size = UInt64(info.st_size)
        modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
    }

    /// The fingerprints of the configuration file and every `.so` and `.so.sig` in the plugins directory.
    static func snapshot(configPath: String?, pluginsDir: String) -> [String: FileFingerprint] {
        var files: [String: FileFingerprint] = [:]
        if let configPath { files[configPath] = FileFingerprint(path: configPath) }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: pluginsDir)) ?? [] where name.hasSuffix(".so") || name.hasSuffix(".so.sig") {
            let path = pluginsDir + "/" + name
            files[path] = FileFingerprint(path: path)
        }
        return files
    }
}
