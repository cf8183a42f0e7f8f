import CBOR
import Foundation
import GatehouseJSON
import PluginKit

/// A verified new credential, ready to be stored.
struct NewCredential: Sendable {
    let credentialID: String
    let publicKey: [UInt8]
    let signCount: UInt32
    let aaguid: [UInt8]
    let backupEligible: Bool
    let backedUp: Bool
    let transports: [String]
    /// How far the attestation can be trusted: `none`, `self`, `unverified` (a certificate chain
    /// that leads to no configured root) or `verified`.
    let attestationTrust: String
}

/// Registration ceremony checks (WebAuthn Level 2 §7.1) over a `RegistrationResponseJSON`.
struct RegistrationVerifier: Sendable {
    let settings: PasskeySettings
    let crypto: WebAuthnCrypto

    func verify(_ response: JSONValue, challenge: String) throws -> NewCredential {
        let fail = PasskeyError.failedToVerifyRegistration
        guard response["type"]?.stringValue == "public-key", let id = response["id"]?.stringValue, id == response["rawId"]?.stringValue else {
            throw fail.failure("id and rawId must be the same base64url credential id")
        }
        let clientData = try ClientData(response["response"]?["clientDataJSON"]?.stringValue, type: "webauthn.create", challenge: challenge,
                                        origins: settings.origins, failure: fail)
        guard let encoded = response["response"]?["attestationObject"]?.stringValue, let objectBytes = Base64URL.decode(encoded) else {
            throw fail.failure("attestationObject is not base64url")
        }
        let object: CBORValue
        do { object = try CBORDecoder.decode(objectBytes) } catch { throw fail.failure("attestationObject is not valid CBOR (\(error))") }
        guard let format = object["fmt"]?.text, let statement = object["attStmt"], case .map = statement, let authBytes = object["authData"]?.bytes else {
            throw fail.failure("attestationObject lacks fmt, attStmt or authData")
        }
        let data = try AuthenticatorData(authBytes, failure: fail)
        guard ConstantTime.equal(data.rpIDHash, try crypto.sha256(Array(settings.rpID.utf8))) else { throw fail.failure("rpIdHash is not for \(settings.rpID)") }
        guard data.userPresent else { throw fail.failure("the user was not present") }
        guard data.userVerified || settings.userVerification != "required" else { throw fail.failure("the user was not verified") }
        guard data.backupEligible || !data.backedUp else { throw fail.failure("backed up but not backup eligible") }
        guard let credentialID = data.credentialID, let key = data.credentialKey, let aaguid = data.aaguid else {
            throw fail.failure("no attested credential data")
        }
        guard Base64URL.encode(credentialID) == id else { throw fail.failure("the credential id differs from the one in authenticator data") }
        let credentialKey = try CredentialKey(cose: key.value)
        let signed = authBytes + (try crypto.sha256(clientData.bytes))
        let trust = try attestationTrust(format: format, statement: statement, signed: signed, key: credentialKey, aaguid: aaguid)
        let transports = response["response"]?["transports"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return NewCredential(credentialID: id, publicKey: key.bytes, signCount: data.signCount, aaguid: aaguid,
                             backupEligible: data.backupEligible, backedUp: data.backedUp, transports: transports, attestationTrust: trust)
    }

    /// Verifies the attestation statement (`none` and `packed`, WebAuthn §8.2 and §8.7).
    private func attestationTrust(format: String, statement: CBORValue, signed: [UInt8], key: CredentialKey, aaguid: [UInt8]) throws -> String {
        let fail = PasskeyError.failedToVerifyRegistration
        switch format {
        case "none":
            guard statement == .map([]) else { throw fail.failure("a none attestation must have an empty statement") }
            return "none"
        case "packed":
            guard let alg = statement["alg"]?.int, let signature = statement["sig"]?.bytes else { throw fail.failure("packed attestation lacks alg or sig") }
            guard case .array(let x5c)? = statement["x5c"] else {
                // Self attestation: signed with the credential key itself.
                guard alg == key.algorithm.rawValue, crypto.verify(signature, over: signed, with: key) else {
                    throw fail.failure("the self attestation signature does not verify")
                }
                return "self"
            }
            let chain = x5c.compactMap(\.bytes)
            guard let leafDER = chain.first, chain.count == x5c.count, alg == COSEAlgorithm.es256.rawValue else {
                throw fail.failure("packed x5c must hold DER certificates and use ES256")
            }
            let leaf = try crypto.certificate(leafDER)
            guard leaf["publicJwk"]?["kty"]?.stringValue == "EC", let jwk = leaf["publicJwk"],
                  crypto.verify(signature, over: signed, with: CredentialKey(algorithm: .es256, jwk: jwk)) else {
                throw fail.failure("the attestation signature does not verify with the certificate")
            }
            try checkAttestationCertificate(leaf, aaguid: aaguid)
            return try crypto.chainIsTrusted(chain, roots: settings.attestationRoots) ? "verified" : "unverified"
        default:
            throw fail.failure("attestation format \(format) is not supported (none and packed are)")
        }
    }

    /// WebAuthn §8.2.1: version 3, OU "Authenticator Attestation", not a CA, and the AAGUID
    /// extension (when present) equal to the authenticator data's.
    private func checkAttestationCertificate(_ leaf: JSONValue, aaguid: [UInt8]) throws {
        let fail = PasskeyError.failedToVerifyRegistration
        guard leaf["version"]?.intValue == 3, leaf["isCA"]?.boolValue == false,
              leaf["organizationalUnits"]?.arrayValue?.contains("Authenticator Attestation") == true else {
            throw fail.failure("the attestation certificate does not meet WebAuthn §8.2.1")
        }
        if let ext = leaf["extensions"]?["1.3.6.1.4.1.45724.1.1.4"]?.stringValue.flatMap(Base64URL.decode) {
            // An OCTET STRING holding the 16-byte AAGUID.
            guard ext.count == 18, ext[0] == 0x04, ext[1] == 16, Array(ext[2...]) == aaguid else {
                throw fail.failure("the certificate's AAGUID differs from the authenticator's")
            }
        }
    }
}

