import Crypto
import Foundation
import GatehouseCrypto
import GatehouseJSON
import GatehousePluginABI
import X509

/// X.509 for plugins, on swift-certificates: reading a certificate (e.g. a WebAuthn attestation
/// certificate) and validating a chain against roots the plugin names (RFC 5280).
enum X509Operations {
    static func run(_ operation: String, _ input: JSONValue) async throws(HostOperations.Failure) -> JSONValue {
        switch operation {
        case "x509.parse":
            return describe(try certificate(input["certificate"]))
        default:
            let chain = try (input["chain"]?.arrayValue ?? []).map { value throws(HostOperations.Failure) in try certificate(value) }
            guard let leaf = chain.first else { throw invalid("chain must hold at least the leaf certificate") }
            let roots = try (input["roots"]?.arrayValue ?? []).map { value throws(HostOperations.Failure) in try certificate(value) }
            var verifier = Verifier(rootCertificates: CertificateStore(roots)) { RFC5280Policy() }
            switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(Array(chain.dropFirst()))) {
            case .validCertificate: return ["trusted": true]
            case .couldNotValidate(let failures): return ["trusted": false, "reason": .string(failures.map { "\($0)" }.joined(separator: "; "))]
            }
        }
    }

    /// `{publicJwk, subject, issuer, version, isCA, organizationalUnits, notBefore, notAfter,
    /// extensions: {oid: base64url of the extension value}}`. `publicJwk` is null for key types
    /// other than P-256, Ed25519 and RSA.
    private static func describe(_ cert: Certificate) -> JSONValue {
        var extensions: [(String, JSONValue)] = []
        for ext in cert.extensions { extensions.append((ext.oid.description, .string(Base64.url(Array(ext.value))))) }
        let units = cert.subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.organizationalUnitName }.map { JSONValue.string($0.value.description) }
        let isCA = (try? cert.extensions.basicConstraints).map { constraints -> Bool in
            if case .isCertificateAuthority = constraints { return true }
            return false
        } ?? false
        return [
            "publicJwk": jwk(cert.publicKey), "subject": .string(cert.subject.description), "issuer": .string(cert.issuer.description),
            "version": .int(cert.version == .v3 ? 3 : 1), "isCA": .bool(isCA),
            "organizationalUnits": .array(units), "notBefore": .string(ISO8601DateFormatter().string(from: cert.notValidBefore)),
            "notAfter": .string(ISO8601DateFormatter().string(from: cert.notValidAfter)),
            "extensions": .object(.init(uniqueKeysWithValues: extensions)),
        ]
    }

    private static func jwk(_ key: Certificate.PublicKey) -> JSONValue {
        if let p256 = P256.Signing.PublicKey(key) {
            let point = Array(p256.x963Representation.dropFirst())
            return ["kty": "EC", "crv": "P-256", "x": .string(Base64.url(point.prefix(32))), "y": .string(Base64.url(point.suffix(32)))]
        }
        if let ed25519 = Curve25519.Signing.PublicKey(key) {
            return ["kty": "OKP", "crv": "Ed25519", "x": .string(Base64.url(ed25519.rawRepresentation))]
        }
        return .null
    }

    /// A certificate given as base64 DER or as PEM text.
    private static func certificate(_ value: JSONValue?) throws(HostOperations.Failure) -> Certificate {
        guard let text = value?.stringValue else { throw invalid("certificate (base64 DER or PEM) is required") }
        do {
            if text.contains("-----BEGIN") { return try Certificate(pemEncoded: text) }
            guard let der = Base64.decode(text) else { throw invalid("certificate is neither PEM nor base64 DER") }
            return try Certificate(derEncoded: der)
        } catch let failure as HostOperations.Failure {
            throw failure
        } catch {
            throw invalid("certificate does not parse: \(error)")
        }
    }

    private static func invalid(_ message: String) -> HostOperations.Failure {
        HostOperations.Failure(status: GH_INVALID, code: "INVALID_CERTIFICATE", message: message)
    }
}
