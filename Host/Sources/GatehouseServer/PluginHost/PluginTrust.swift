import Crypto
import Foundation

/// Which plugin libraries the operator trusts (`pluginTrust.*`, ABI 1.2 host). Every check runs
/// on the bytes read for loading, before any code of the library runs.
public struct PluginTrustPolicy: Sendable {
    /// SHA-256 digests, lowercase hex; empty: any digest.
    public let digests: Set<String>
    /// Ed25519 public keys, one of which must have signed the library; empty: no signature needed.
    let publicKeys: [(base64: String, key: Curve25519.Signing.PublicKey)]

    public init() {
        digests = []
        publicKeys = []
    }

    /// Digests are accepted in either case (`sha256sum` prints lower case, some tools upper case)
    /// and kept lower case; a key is base64 of the raw 32-byte Ed25519 public key.
    public init(sha256: [String], publicKeys: [String]) throws(ConfigError) {
        var digests: Set<String> = []
        for (index, text) in sha256.enumerated() {
            let digest = text.lowercased()
            guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                throw ConfigError(key: "pluginTrust.sha256[\(index)]", "must be a SHA-256 digest, 64 hexadecimal characters as sha256sum prints them; got \"\(text)\"")
            }
            digests.insert(digest)
        }
        var keys: [(String, Curve25519.Signing.PublicKey)] = []
        for (index, text) in publicKeys.enumerated() {
            // The value is not echoed: a private key pasted here by mistake must not reach a log.
            guard let raw = Data(base64Encoded: text), raw.count == 32,
                let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
            else {
                throw ConfigError(key: "pluginTrust.publicKeys[\(index)]", "must be base64 of a raw 32-byte Ed25519 public key (as `gatehouse plugins keygen` prints)")
            }
            keys.append((raw.base64EncodedString(), key))
        }
        self.digests = digests
        self.publicKeys = keys
    }

    /// Checks a library's bytes against the digest list and, when keys are configured, its
    /// detached signature `<path>.sig`.
    func verify(_ file: PluginFile) throws(PluginTrustError) -> PluginTrustVerdict {
        if !digests.isEmpty, !digests.contains(file.sha256) { throw .unlistedDigest(file.sha256) }
        guard !publicKeys.isEmpty else { return PluginTrustVerdict(sha256: file.sha256, signer: nil, policy: self) }
        let signaturePath = file.path + ".sig"
        guard let data = PluginFile.signature(at: signaturePath) else { throw .missingSignature(signaturePath) }
        let text = String(decoding: data, as: UTF8.self).filter { !$0.isWhitespace }
        guard let signature = Data(base64Encoded: text), signature.count == 64 else { throw .malformedSignature(signaturePath) }
        guard let signer = publicKeys.first(where: { $0.key.isValidSignature(signature, for: file.bytes) }) else {
            throw .badSignature(signaturePath)
        }
        return PluginTrustVerdict(sha256: file.sha256, signer: signer.base64, policy: self)
    }

    /// Reads the library at `path` and checks it (`gatehouse plugins check` and the plugin
    /// directory listing): its file when it could be read, the digest of whatever bytes are there,
    /// and the verdict or the refusal.
    func examine(_ path: String) -> PluginExamination {
        let file: PluginFile
        do throws(PluginTrustError) { file = try PluginFile.read(path) } catch {
            return PluginExamination(file: nil, sha256: PluginFile.digest(atPath: path), outcome: .failure(error))
        }
        do throws(PluginTrustError) {
            return PluginExamination(file: file, sha256: file.sha256, outcome: .success(try verify(file)))
        } catch {
            return PluginExamination(file: file, sha256: file.sha256, outcome: .failure(error))
        }
    }

    /// Whether a library accepted earlier still passes this policy (a reload keeps it in service
    /// when its file is replaced by one that does not).
    func stillTrusts(_ verdict: PluginTrustVerdict) -> Bool {
        (digests.isEmpty || digests.contains(verdict.sha256))
            && (publicKeys.isEmpty || publicKeys.contains { $0.base64 == verdict.signer })
    }
}

/// What the trust checks found for one library that passed them.
struct PluginTrustVerdict: Sendable, CustomStringConvertible {
    let sha256: String
    /// The configured key (base64) whose signature verified the library; nil when none is configured.
    let signer: String?
    let digestListed: Bool

    init(sha256: String, signer: String?, policy: PluginTrustPolicy) {
        self.sha256 = sha256
        self.signer = signer
        digestListed = policy.digests.contains(sha256)
    }

    var description: String {
        let evidence = [digestListed ? "digest listed" : nil, signer.map { "signed by \($0)" }].compactMap { $0 }
        return evidence.isEmpty ? "trusted" : "trusted (\(evidence.joined(separator: ", ")))"
    }
}

/// Why a library (or the plugins directory) is not trusted; the library is then never opened.
enum PluginTrustError: Error, Sendable, CustomStringConvertible {
    case unreadable(String, reason: String)
    case notARegularFile(String)
    case foreignOwner(String, uid: UInt32)
    case writable(String, by: String)
    case unlistedDigest(String)
    case missingSignature(String)
    case malformedSignature(String)
    case badSignature(String)

    var description: String {
        let reason = switch self {
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .notARegularFile(let path): "\(path) is not a regular file"
        case .foreignOwner(let path, let uid): "\(path) is owned by uid \(uid), neither root nor the server's user (uid \(geteuid()))"
        case .writable(let path, let who): "\(path) is \(who)-writable"
        case .unlistedDigest(let digest): "its SHA-256 \(digest) is not listed in pluginTrust.sha256"
        case .missingSignature(let path): "the signature \(path) is missing (pluginTrust.publicKeys is set)"
        case .malformedSignature(let path): "\(path) is not base64 of a 64-byte Ed25519 signature"
        case .badSignature(let path): "the signature \(path) was not made by any key in pluginTrust.publicKeys for this file"
        }
        return "not trusted: " + reason
    }
}

/// One library file as read and checked against the trust policy.
struct PluginExamination: Sendable {
    /// The bytes read for the checks; nil when the file could not be read as a plugin library.
    let file: PluginFile?
    let sha256: String?
    let outcome: Result<PluginTrustVerdict, PluginTrustError>

    /// The verdict, or why the library is refused, as reports show it.
    var trust: String {
        switch outcome {
        case .success(let verdict): verdict.description
        case .failure(let refusal): refusal.description
        }
    }
}
