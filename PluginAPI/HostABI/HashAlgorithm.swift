import Crypto
import GatehousePluginABI

/// `host->hash` (set by `HostTable`) and `host->hmac` for the header's `gh_hash_alg` values;
/// nil for any other value (the host answers GH_UNSUPPORTED).
public enum HashAlgorithm {
    static func digest(_ alg: gh_hash_alg, _ data: [UInt8]) -> [UInt8]? {
        switch alg {
        case GH_HASH_SHA256: Array(SHA256.hash(data: data))
        case GH_HASH_SHA384: Array(SHA384.hash(data: data))
        case GH_HASH_SHA512: Array(SHA512.hash(data: data))
        case GH_HASH_SHA1: Array(Insecure.SHA1.hash(data: data))
        default: nil
        }
    }

    public static func hmac(_ alg: gh_hash_alg, key: [UInt8], _ data: [UInt8]) -> [UInt8]? {
        let key = SymmetricKey(data: key)
        switch alg {
        case GH_HASH_SHA256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: key))
        case GH_HASH_SHA384: return Array(HMAC<SHA384>.authenticationCode(for: data, using: key))
        case GH_HASH_SHA512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: key))
        case GH_HASH_SHA1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: key))
        default: return nil
        }
    }
}
