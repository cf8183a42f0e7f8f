import Foundation

/// The plugins directory's two shelves (ABI 1.2 host): `<pluginsDir>/available/<id>.so` is built
/// and ready, `<pluginsDir>/<id>.so` is enabled (the loader never looks into subfolders).
/// `gatehouse plugins enable` and `disable` move libraries between them; a running server picks
/// the change up by hot reload.
public struct PluginCatalog {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        /// The failure is an id that is not there to enable (or disable); nothing changed.
        public var unknownID = false
    }

    /// One library on the `available` shelf.
    public struct Entry: Sendable {
        public let id: String
        public let sha256: String?
        /// Whether `<pluginsDir>/<id>.so` exists, and whether it holds the same bytes.
        public let enabled: Bool
        public let enabledCopyDiffers: Bool
    }

    public let pluginsDir: String
    public var availableDir: String { pluginsDir + "/available" }

    public init(pluginsDir: String) {
        self.pluginsDir = pluginsDir
    }

    /// The ids on the `available` shelf, sorted.
    public func availableIDs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: availableDir)) ?? [])
            .filter { $0.hasSuffix(".so") }.map { String($0.dropLast(3)) }.sorted()
    }

    public func available() -> [Entry] {
        availableIDs().map { id in
            let digest = PluginFile.digest(atPath: availableDir + "/\(id).so")
            let enabledDigest = PluginFile.digest(atPath: enabledPath(id))
            let enabled = FileManager.default.fileExists(atPath: enabledPath(id))
            return Entry(id: id, sha256: digest, enabled: enabled, enabledCopyDiffers: enabled && enabledDigest != digest)
        }
    }

    /// Copies each `available/<id>.so` (and its `.sig`, if any) into the plugins directory. Every
    /// id is checked before anything changes. The signature goes first and the library last, each
    /// written under a temporary name and renamed, so a reload never sees half a library nor a
    /// library without its signature.
    public func enable(_ ids: [String]) throws(Failure) {
        let unknown = ids.filter { !Self.isPluginID($0) || !FileManager.default.fileExists(atPath: availableDir + "/\($0).so") }
        guard unknown.isEmpty else {
            let offered = availableIDs()
            throw Failure(description: "no such plugin in \(availableDir): \(unknown.joined(separator: ", ")) (available: \(offered.isEmpty ? "none" : offered.joined(separator: ", ")))",
                          unknownID: true)
        }
        // The shelf must be as safe as the plugins directory: what is copied from it gets the
        // operator's ownership and mode, and would pass the loader's checks.
        do { try PluginFile.checkDirectory(availableDir) } catch { throw Failure(description: error.description) }
        for id in ids {
            let library: PluginFile
            do { library = try PluginFile.read(availableDir + "/\(id).so") } catch { throw Failure(description: error.description) }
            if let signature = PluginFile.signature(at: library.path + ".sig") {
                try install(signature, at: enabledPath(id) + ".sig")
            } else {
                try remove(enabledPath(id) + ".sig")  // a signature of an older build would refuse this one
            }
            try install(library.bytes, at: enabledPath(id))
        }
    }

    /// Removes each `<id>.so` (then its `.sig`) from the plugins directory. An id that is
    /// available but not enabled is left as it is; one that is neither is an error.
    public func disable(_ ids: [String]) throws(Failure) {
        let unknown = ids.filter {
            !Self.isPluginID($0) || !(FileManager.default.fileExists(atPath: enabledPath($0)) || FileManager.default.fileExists(atPath: availableDir + "/\($0).so"))
        }
        guard unknown.isEmpty else {
            throw Failure(description: "no such plugin enabled in \(pluginsDir) or available in \(availableDir): \(unknown.joined(separator: ", "))",
                          unknownID: true)
        }
        for id in ids {
            try remove(enabledPath(id))
            try remove(enabledPath(id) + ".sig")
        }
    }

    public func enabledPath(_ id: String) -> String { pluginsDir + "/\(id).so" }

    /// Plugin ids are lower-case letters, digits and '-' (which also keeps a path out of an id).
    static func isPluginID(_ id: String) -> Bool {
        !id.isEmpty && id.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
    }

    /// Writes `bytes` (read and checked before) to `destination` through a new file under a
    /// temporary name in the same directory, mode 0644 whatever the umask (so that the loader's
    /// trust checks accept it), then renames it into place.
    private func install(_ bytes: Data, at destination: String) throws(Failure) {
        let temporary = pluginsDir + "/.\(UUID().uuidString.lowercased()).tmp"
        do {
            try FileManager.default.createDirectory(atPath: pluginsDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try bytes.write(to: URL(fileURLWithPath: temporary), options: .withoutOverwriting)
            guard chmod(temporary, 0o644) == 0, rename(temporary, destination) == 0 else {
                throw Failure(description: "\(destination): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw (error as? Failure) ?? Failure(description: "cannot write \(destination): \(error.localizedDescription)")
        }
    }

    private func remove(_ path: String) throws(Failure) {
        guard unlink(path) == 0 || errno == ENOENT else { throw Failure(description: "cannot remove \(path): \(String(cString: strerror(errno)))") }
    }
}
