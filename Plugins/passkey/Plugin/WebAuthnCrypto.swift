import GatehouseJSON
import PluginKit

/// The cryptography a ceremony needs, done by the host (docs/plugin-abi.md §10–11): SHA-256,
/// signature checks against a JWK, and X.509 for attestation certificates.
struct WebAuthnCrypto: Sendable {
    let host: PluginHost

    func sha256(_ data: [UInt8]) throws -> [UInt8] {
        guard let digest = host.hash(.sha256, data) else { throw PasskeyError.authenticationFailed.failure("SHA-256 unavailable") }
        return digest
    }

    /// Whether `signature` (DER for ES256, as WebAuthn sends it) over `data` verifies under `key`.
    func verify(_ signature: [UInt8], over data: [UInt8], with key: CredentialKey) -> Bool {
        let request: JSONValue = ["alg": .string(key.algorithm.jose), "jwk": key.jwk, "data": .string(Base64URL.encode(data)),
                                  "signature": .string(Base64URL.encode(signature)), "signatureFormat": "der"]
        return (try? host.call("signature.verify", request))?["valid"]?.boolValue == true
    }

    /// An attestation certificate as the host reads it (`x509.parse`).
    func certificate(_ der: [UInt8]) throws -> JSONValue {
        try host.call("x509.parse", ["certificate": .string(Base64URL.encode(der))])
    }

    /// Whether the chain (leaf first) leads to one of `roots` (PEM).
    func chainIsTrusted(_ chain: [[UInt8]], roots: [String]) throws -> Bool {
        guard !roots.isEmpty else { return false }
        let answer = try host.call("x509.verifyChain", ["chain": .array(chain.map { .string(Base64URL.encode($0)) }),
                                                        "roots": .array(roots.map(JSONValue.string))])
        return answer["trusted"]?.boolValue == true
    }
}
