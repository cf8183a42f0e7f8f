import CSecp256k1

/// EIP-191 `personal_sign` signatures: who signed a text message. Recovery is libsecp256k1's
/// (its recovery module); only the hashing and the checks around it are here.
public enum PersonalSign {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case unrecoverable

        public var description: String {
            switch self {
            case .malformed(let reason): "malformed signature: \(reason)"
            case .unrecoverable: "no public key recovers from this signature"
            }
        }
    }

    /// Keccak-256("\u{19}Ethereum Signed Message:\n" + byte length + message).
    public static func hash(_ message: String) -> [UInt8] {
        let body = Array(message.utf8)
        return Keccak256.hash(Array("\u{19}Ethereum Signed Message:\n\(body.count)".utf8) + body)
    }

    /// The address whose key made `signature` (65 bytes `r ‖ s ‖ v`, hex with `0x`) over `message`.
    /// `v` may be 27/28 or 0/1; a high `s` (EIP-2) is refused, as Ethereum refuses it.
    public static func signer(of message: String, signature: String) throws(Failure) -> EthereumAddress {
        guard signature.hasPrefix("0x") || signature.hasPrefix("0X"), let bytes = Hex.decode(String(signature.dropFirst(2))) else {
            throw .malformed("not 0x-prefixed hex")
        }
        guard bytes.count == 65 else { throw .malformed("\(bytes.count) bytes instead of 65") }
        let recoveryID: Int32 = switch bytes[64] {
        case 0, 27: 0
        case 1, 28: 1
        default: throw .malformed("v is \(bytes[64]); expected 27, 28, 0 or 1")
        }
        let s = Array(bytes[32..<64])
        guard s.lexicographicallyPrecedes(halfOrder) || s == halfOrder else { throw .malformed("s is in the upper half of the curve order (EIP-2)") }
        let digest = hash(message)
        var parsed = secp256k1_ecdsa_recoverable_signature()
        var publicKey = secp256k1_pubkey()
        guard secp256k1_ecdsa_recoverable_signature_parse_compact(context, &parsed, Array(bytes[0..<64]), recoveryID) == 1 else {
            throw .malformed("r or s is out of range")
        }
        guard secp256k1_ecdsa_recover(context, &publicKey, &parsed, digest) == 1 else { throw .unrecoverable }
        var serialized = [UInt8](repeating: 0, count: 65)
        var length = 65
        guard secp256k1_ec_pubkey_serialize(context, &serialized, &length, &publicKey, gh_secp256k1_uncompressed()) == 1, length == 65 else {
            throw .unrecoverable
        }
        return EthereumAddress(publicKey: serialized)
    }

    /// n / 2 for secp256k1: the largest `s` EIP-2 allows.
    private static let halfOrder: [UInt8] = Hex.decode("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0")!

    /// A verify-only context; libsecp256k1 contexts are safe to share once created.
    nonisolated(unsafe) private static let context = gh_secp256k1_verify_context()!
}
