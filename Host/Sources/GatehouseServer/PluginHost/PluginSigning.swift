import Crypto
import Foundation

/// `gatehouse plugins keygen` and `sign` (ABI 1.2 host). The private key file holds one line, the
/// base64 of the 32-byte Ed25519 seed; a signature file `NAME.so.sig` holds the base64 of the
/// 64-byte Ed25519 signature over the library's bytes.
public enum PluginSigning {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes a new private key to `path` (mode 0600, never over an existing file) and returns
    /// the public key, base64, for `pluginTrust.publicKeys`.
    public static func generateKey(at path: String) throws(Failure) -> String {
        let key = Curve25519.Signing.PrivateKey()
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "already exists; refusing to overwrite a key" : String(cString: strerror(errno))
            throw Failure(description: "\(path): \(reason)")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data((key.rawRepresentation.base64EncodedString() + "\n").utf8))
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw Failure(description: "\(path): \(error.localizedDescription)")
        }
        return key.publicKey.rawRepresentation.base64EncodedString()
    }

    /// Signs the library at `library` with the key in `keyFile` and writes `<library>.sig`
    /// (through a temporary name and a rename: a running server never reads half a signature).
    /// Returns the signature's path and the signer's public key.
    public static func sign(library: String, keyFile: String) throws(Failure) -> (signature: String, publicKey: String) {
        guard let keyText = FileManager.default.contents(atPath: keyFile) else { throw Failure(description: "\(keyFile): cannot read the key") }
        guard let seed = Data(base64Encoded: String(decoding: keyText, as: UTF8.self).filter { !$0.isWhitespace }), seed.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else {
            throw Failure(description: "\(keyFile): not a plugin signing key (base64 of a 32-byte Ed25519 seed, as `gatehouse plugins keygen` writes)")
        }
        guard let bytes = FileManager.default.contents(atPath: library) else { throw Failure(description: "\(library): cannot read") }
        let signature: Data
        do { signature = try key.signature(for: bytes) } catch { throw Failure(description: "signing failed: \(error)") }
        let path = library + ".sig"
        let temporary = path + ".tmp-\(UUID().uuidString.lowercased())"
        do {
            try Data((signature.base64EncodedString() + "\n").utf8).write(to: URL(fileURLWithPath: temporary), options: .withoutOverwriting)
            guard rename(temporary, path) == 0 else { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw (error as? Failure) ?? Failure(description: "\(path): \(error.localizedDescription)")
        }
        return (path, key.publicKey.rawRepresentation.base64EncodedString())
    }
}
