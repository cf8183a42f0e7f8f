import Foundation

/// Where the client keeps what outlives the process: the session's bearer token, the signed-in
/// user, and the device's `trust_device` cookie (keys in `GatehouseClient.StoreKey`). A new
/// client on the same store resumes the session without signing in.
public protocol TokenStore: Sendable {
    func get(_ key: String) throws -> String?
    func set(_ key: String, _ value: String) throws
    func remove(_ key: String) throws
}

/// Kept in memory only: the session ends with the process.
public final class InMemoryTokenStore: TokenStore, @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: String] = [:]

    public init() {}

    public func get(_ key: String) -> String? {
        lock.withLock { values[key] }
    }

    public func set(_ key: String, _ value: String) {
        lock.withLock { values[key] = value }
    }

    public func remove(_ key: String) {
        lock.withLock { _ = values.removeValue(forKey: key) }
    }
}

/// One JSON file readable by its owner only (created with mode 0600, written by replacing it
/// atomically), deleted when its last key goes. For Linux and command-line tools; apps on
/// Apple platforms want `KeychainTokenStore`.
public final class FileTokenStore: TokenStore, @unchecked Sendable {
    public let fileURL: URL
    private let lock = NSLock()

    public init(fileURL: URL) {
        self.fileURL = fileURL
    }

    public func get(_ key: String) throws -> String? {
        try lock.withLock { try read()[key] }
    }

    public func set(_ key: String, _ value: String) throws {
        try lock.withLock {
            var values = (try? read()) ?? [:]  // a corrupt file is replaced, not a dead end
            values[key] = value
            try write(values)
        }
    }

    public func remove(_ key: String) throws {
        try lock.withLock {
            guard var values = try? read() else { return try write([:]) }  // a corrupt file goes
            guard values.removeValue(forKey: key) != nil else { return }
            try write(values)
        }
    }

    private func read() throws -> [String: String] {
        guard FileManager.default.fileExists(atPath: fileURL.path) else { return [:] }
        return try JSONDecoder().decode([String: String].self, from: Data(contentsOf: fileURL))
    }

    private func write(_ values: [String: String]) throws {
        if values.isEmpty {
            if FileManager.default.fileExists(atPath: fileURL.path) { try FileManager.default.removeItem(at: fileURL) }
            return
        }
        let data = try JSONEncoder().encode(values)
        // The new content goes to a file created 0600 (O_EXCL: never someone else's) beside the
        // old one, then replaces it in one rename: a crash leaves the old file or the new one,
        // and the token is never readable by others, not even for a moment.
        let temporary = fileURL.deletingLastPathComponent()
            .appendingPathComponent(".\(fileURL.lastPathComponent).\(UUID().uuidString).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            guard rename(temporary.path, fileURL.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: fileURL.path])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
