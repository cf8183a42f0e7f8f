import Crypto
import CryptoExtras
import Foundation
import GatehouseCrypto
import GatehouseJSON

/// Key pairs as JWKs and compact JWS signing for EdDSA (Ed25519), ES256 (P-256) and RS256, so
/// plugins sign and verify with the host's crypto instead of carrying their own.
enum JOSEKeys {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let algorithms: Set<String> = ["EdDSA", "ES256", "RS256"]

    /// A new key pair: `(public JWK, private JWK)`.
    static func generate(_ alg: String) throws -> (JSONValue, JSONValue) {
        switch alg {
        case "EdDSA":
            let key = Curve25519.Signing.PrivateKey()
            let x = Base64.url(key.publicKey.rawRepresentation)
            return (["kty": "OKP", "crv": "Ed25519", "x": .string(x)],
                    ["kty": "OKP", "crv": "Ed25519", "x": .string(x), "d": .string(Base64.url(key.rawRepresentation))])
        case "ES256":
            let key = P256.Signing.PrivateKey()
            let point = Array(key.publicKey.x963Representation.dropFirst())
            let (x, y) = (Base64.url(point.prefix(32)), Base64.url(point.suffix(32)))
            return (["kty": "EC", "crv": "P-256", "x": .string(x), "y": .string(y)],
                    ["kty": "EC", "crv": "P-256", "x": .string(x), "y": .string(y), "d": .string(Base64.url(key.rawRepresentation))])
        case "RS256":
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let parts = try RSAPrivateKeyDER.integers(Array(key.derRepresentation))
            let names = ["n", "e", "d", "p", "q", "dp", "dq", "qi"]
            guard parts.count >= 9 else { throw Failure(description: "unexpected RSA key encoding") }
            var privateJWK: [(String, JSONValue)] = [("kty", "RSA")]
            for (name, value) in zip(names, parts.dropFirst()) { privateJWK.append((name, .string(Base64.url(value)))) }
            let publicJWK: JSONValue = ["kty": "RSA", "n": privateJWK[1].1, "e": privateJWK[2].1]
            return (publicJWK, .object(.init(uniqueKeysWithValues: privateJWK)))
        default:
            throw Failure(description: "unsupported algorithm \(alg); use EdDSA, ES256 or RS256")
        }
    }

    /// A compact JWS: `base64url(header).base64url(payload).base64url(signature)`.
    static func sign(alg: String, privateJWK: JSONValue, header: JSONValue, payload: JSONValue) throws -> String {
        let input = Base64.url(header.serializedBytes()) + "." + Base64.url(payload.serializedBytes())
        let data = Array(input.utf8)
        let signature: [UInt8]
        switch alg {
        case "EdDSA":
            signature = Array(try Curve25519.Signing.PrivateKey(rawRepresentation: try part(privateJWK, "d")).signature(for: data))
        case "ES256":
            signature = Array(try P256.Signing.PrivateKey(rawRepresentation: try part(privateJWK, "d")).signature(for: data).rawRepresentation)
        case "RS256":
            let key = try _RSA.Signing.PrivateKey(n: try part(privateJWK, "n"), e: try part(privateJWK, "e"), d: try part(privateJWK, "d"),
                                                  p: try part(privateJWK, "p"), q: try part(privateJWK, "q"))
            signature = Array(try key.signature(for: data, padding: .insecurePKCS1v1_5).rawRepresentation)
        default:
            throw Failure(description: "unsupported algorithm \(alg)")
        }
        return input + "." + Base64.url(signature)
    }

    /// Whether `signature` over `data` verifies under the public JWK. `der`: an ES256 signature
    /// is an ASN.1 `Ecdsa-Sig-Value` (WebAuthn, X.509) rather than JWS's `r ‖ s`.
    static func verify(alg: String, publicJWK: JSONValue, data: [UInt8], signature: [UInt8], der: Bool = false) throws -> Bool {
        switch alg {
        case "EdDSA":
            return try Curve25519.Signing.PublicKey(rawRepresentation: try part(publicJWK, "x")).isValidSignature(signature, for: data)
        case "ES256":
            let key = try P256.Signing.PublicKey(x963Representation: [0x04] + (try part(publicJWK, "x")) + (try part(publicJWK, "y")))
            let parsed = der ? try? P256.Signing.ECDSASignature(derRepresentation: signature) : try? P256.Signing.ECDSASignature(rawRepresentation: signature)
            guard let parsed else { return false }
            return key.isValidSignature(parsed, for: data)
        case "RS256":
            let key = try _RSA.Signing.PublicKey(n: try part(publicJWK, "n"), e: try part(publicJWK, "e"))
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: data, padding: .insecurePKCS1v1_5)
        default:
            throw Failure(description: "unsupported algorithm \(alg)")
        }
    }

    private static func part(_ jwk: JSONValue, _ name: String) throws -> [UInt8] {
        guard let text = jwk[name]?.stringValue, let bytes = Base64.decode(text) else { throw Failure(description: "JWK member \"\(name)\" is missing") }
        return bytes
    }
}

/// Reads the INTEGERs of a PKCS#1 `RSAPrivateKey` (version, n, e, d, p, q, dp, dq, qi): swift-crypto
/// can export the key as DER but not its numbers, which a private JWK needs.
enum RSAPrivateKeyDER {
    static func integers(_ der: [UInt8]) throws -> [[UInt8]] {
        var index = 0
        func length() throws -> Int {
            guard index < der.count else { throw JOSEKeys.Failure(description: "truncated DER") }
            let first = Int(der[index]); index += 1
            guard first & 0x80 != 0 else { return first }
            var value = 0
            for _ in 0..<(first & 0x7F) {
                guard index < der.count else { throw JOSEKeys.Failure(description: "truncated DER") }
                value = value << 8 | Int(der[index]); index += 1
            }
            return value
        }
        guard der.first == 0x30 else { throw JOSEKeys.Failure(description: "not a DER sequence") }
        index = 1
        let end = try length() + index
        var integers: [[UInt8]] = []
        while index < end {
            guard der[index] == 0x02 else { throw JOSEKeys.Failure(description: "expected an INTEGER") }
            index += 1
            let count = try length()
            guard index + count <= der.count else { throw JOSEKeys.Failure(description: "truncated DER") }
            var value = Array(der[index..<(index + count)])
            while value.count > 1, value.first == 0 { value.removeFirst() }  // JWK integers carry no sign byte
            integers.append(value)
            index += count
        }
        return integers
    }
}
