import Foundation

/// What identifies the contents of a file without reading it: any write, rename over, `chmod`
/// or `chown` changes its inode or its change time, which no one but root can set back. The
/// watcher compares them to notice changes; a reload, to skip reading and hashing a library
/// whose file is untouched.
struct FileFingerprint: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    /// Seconds and nanoseconds apart: any time a file may carry, however far off, fits.
    let modified: Timestamp
    let changed: Timestamp

    struct Timestamp: Hashable, Sendable {
        let seconds: Int
        let nanoseconds: Int

        init(_ time: timespec) {
            seconds = Int(time.tv_sec)
            nanoseconds = Int(time.tv_nsec)
        }
    }

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Timestamp(info.st_mtim)
        changed = Timestamp(info.st_ctim)
    }

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    /// Whether the file changed so recently (or is dated in the future) that a further write in
    /// the same clock tick could leave the fingerprint as it is (git's "racily clean" rule): then
    /// it proves nothing.
    var isRacy: Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return max(modified.seconds, changed.seconds) > Int(now.tv_sec) - 2
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
