import Crypto
import Foundation

/// A plugin library's bytes, read once through one descriptor whose owner and mode were checked:
/// these exact bytes are hashed, verified and copied to the private path that is opened.
struct PluginFile: Sendable {
    let path: String
    let bytes: Data
    /// SHA-256 of `bytes`, lowercase hex as `sha256sum` prints it.
    let sha256: String
    /// The library's file and its detached signature as they were before and after the read, or
    /// nil when they changed meanwhile or too recently to tell a later change apart.
    let fingerprint: Fingerprint?

    /// A library file's fingerprint with its signature file's (nil when there is none): what a
    /// reload compares to know that both are untouched since the library in service was read.
    struct Fingerprint: Equatable, Sendable {
        let library: FileFingerprint
        let signature: FileFingerprint?
    }

    static func read(_ path: String) throws(PluginTrustError) -> PluginFile {
        let signatureBefore = FileFingerprint(path: path + ".sig")
        let (handle, info) = try checkedOpen(path)
        let bytes: Data
        do { bytes = try handle.readToEnd() ?? Data() } catch { throw .unreadable(path, reason: error.localizedDescription) }
        var after = stat()
        let unchanged = fstat(handle.fileDescriptor, &after) == 0 && FileFingerprint(after) == FileFingerprint(info)
            && FileFingerprint(path: path + ".sig") == signatureBefore
        let fingerprint = Fingerprint(library: FileFingerprint(info), signature: signatureBefore)
        let settled = unchanged && !fingerprint.library.isRacy && !(fingerprint.signature?.isRacy ?? false)
        return PluginFile(path: path, bytes: bytes, sha256: digest(bytes), fingerprint: settled ? fingerprint : nil)
    }

    /// The fingerprint of the library at `path` and of its signature, after the same checks as
    /// `read` (a regular file that only root or the server's user can write), without reading it.
    static func fingerprint(_ path: String) throws(PluginTrustError) -> Fingerprint {
        Fingerprint(library: FileFingerprint(try checkedOpen(path).info), signature: FileFingerprint(path: path + ".sig"))
    }

    private static func checkedOpen(_ path: String) throws(PluginTrustError) -> (handle: FileHandle, info: stat) {
        // O_NONBLOCK: a FIFO named *.so must not hang the loader before fstat can refuse it.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .unreadable(path, reason: String(cString: strerror(errno))) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path, reason: String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile(path) }
        try checkOwnership(info, of: path)
        return (handle, info)
    }

    /// The contents of a detached signature file (`NAME.so.sig`), or nil when there is none.
    /// Only a small regular file is read: a signature is 88 base64 characters.
    static func signature(at path: String) -> Data? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= 4096 else { return nil }
        return FileManager.default.contents(atPath: path)
    }

    static func digest(_ bytes: Data) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The digest of whatever bytes are at `path` now, for reports on a file the checks refused.
    static func digest(atPath path: String) -> String? {
        FileManager.default.contents(atPath: path).map(digest)
    }

    /// Refuses a file or directory that someone other than root or the server's user could
    /// replace or rewrite.
    static func checkOwnership(_ info: stat, of path: String) throws(PluginTrustError) {
        guard info.st_uid == 0 || info.st_uid == geteuid() else { throw .foreignOwner(path, uid: info.st_uid) }
        if info.st_mode & S_IWOTH != 0 { throw .writable(path, by: "world") }
        if info.st_mode & S_IWGRP != 0 { throw .writable(path, by: "group") }
    }

    /// Checks the plugins directory itself: a writable directory lets anyone swap a library in.
    static func checkDirectory(_ path: String) throws(PluginTrustError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .unreadable(path, reason: String(cString: strerror(errno))) }
        try checkOwnership(info, of: "the plugins directory \(path)")
    }
}
