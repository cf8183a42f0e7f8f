import CBOR
import GatehouseJSON
import PluginKit

/// COSE algorithms a credential may use, in Better Auth's preference order.
enum COSEAlgorithm: Int, CaseIterable, Sendable {
    case edDSA = -8
    case es256 = -7
    case rs256 = -257

    var jose: String {
        switch self {
        case .edDSA: "EdDSA"
        case .es256: "ES256"
        case .rs256: "RS256"
        }
    }
}

/// A credential public key (RFC 9052/9053 COSE_Key) as a JWK the host verifies with.
struct CredentialKey: Sendable {
    let algorithm: COSEAlgorithm
    let jwk: JSONValue

    init(algorithm: COSEAlgorithm, jwk: JSONValue) {
        self.algorithm = algorithm
        self.jwk = jwk
    }

    /// Reads a COSE key, refusing any key whose type, curve or sizes do not fit its algorithm.
    init(cose: CBORValue) throws(PluginError) {
        func fail(_ reason: String) -> PluginError { PasskeyError.failedToVerifyRegistration.failure("credential public key: \(reason)") }
        guard let alg = cose[3]?.int, let algorithm = COSEAlgorithm(rawValue: alg) else { throw fail("unsupported algorithm") }
        self.algorithm = algorithm
        let kty = cose[1]?.int
        switch algorithm {
        case .es256:
            guard kty == 2, cose[-1]?.int == 1, let x = cose[-2]?.bytes, let y = cose[-3]?.bytes, x.count == 32, y.count == 32 else {
                throw fail("not a P-256 EC2 key")
            }
            jwk = ["kty": "EC", "crv": "P-256", "x": .string(Base64URL.encode(x)), "y": .string(Base64URL.encode(y))]
        case .edDSA:
            guard kty == 1, cose[-1]?.int == 6, let x = cose[-2]?.bytes, x.count == 32 else { throw fail("not an Ed25519 OKP key") }
            jwk = ["kty": "OKP", "crv": "Ed25519", "x": .string(Base64URL.encode(x))]
        case .rs256:
            guard kty == 3, let n = cose[-1]?.bytes, let e = cose[-2]?.bytes, n.count >= 256, !e.isEmpty, e.count <= 8 else {
                throw fail("not an RSA key of at least 2048 bits")
            }
            jwk = ["kty": "RSA", "n": .string(Base64URL.encode(n)), "e": .string(Base64URL.encode(e))]
        }
    }

    /// A key stored as Better Auth stores it: base64 of the COSE bytes.
    init(stored: String) throws(PluginError) {
        guard let bytes = Base64URL.decode(stored), let cose = try? CBORDecoder.decode(bytes) else {
            throw PasskeyError.authenticationFailed.failure("the stored public key is unreadable")
        }
        do { try self.init(cose: cose) } catch { throw PasskeyError.authenticationFailed.failure("the stored public key is unusable") }
    }
}
