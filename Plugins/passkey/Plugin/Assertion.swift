import GatehouseJSON
import PluginKit

/// Authentication ceremony checks (WebAuthn Level 2 §7.2) over an `AuthenticationResponseJSON`
/// for a stored passkey. The sign counter is compared by the caller, who stores the new one.
struct AssertionVerifier: Sendable {
    let settings: PasskeySettings
    let crypto: WebAuthnCrypto

    func verify(_ response: JSONValue, challenge: String, passkey: StoredPasskey) throws -> AuthenticatorData {
        let fail = PasskeyError.authenticationFailed
        guard response["type"]?.stringValue == "public-key", response["id"]?.stringValue == response["rawId"]?.stringValue else {
            throw fail.failure("id and rawId must be the same base64url credential id")
        }
        let clientData = try ClientData(response["response"]?["clientDataJSON"]?.stringValue, type: "webauthn.get", challenge: challenge,
                                        origins: settings.origins, failure: fail)
        guard let authBytes = response["response"]?["authenticatorData"]?.stringValue.flatMap(Base64URL.decode),
              let signature = response["response"]?["signature"]?.stringValue.flatMap(Base64URL.decode) else {
            throw fail.failure("authenticatorData and signature must be base64url")
        }
        let data = try AuthenticatorData(authBytes, failure: fail)
        guard ConstantTime.equal(data.rpIDHash, try crypto.sha256(Array(settings.rpID.utf8))) else { throw fail.failure("rpIdHash is not for \(settings.rpID)") }
        guard data.userPresent else { throw fail.failure("the user was not present") }
        guard data.userVerified || settings.userVerification != "required" else { throw fail.failure("the user was not verified") }
        guard data.backupEligible || !data.backedUp else { throw fail.failure("backed up but not backup eligible") }
        if let handle = response["response"]?["userHandle"]?.stringValue, !handle.isEmpty {
            guard Base64URL.decode(handle) == Array(passkey.userID.utf8) else { throw fail.failure("the user handle belongs to another user") }
        }
        let key = try CredentialKey(stored: passkey.publicKey)
        guard crypto.verify(signature, over: authBytes + (try crypto.sha256(clientData.bytes)), with: key) else {
            throw fail.failure("the signature does not verify")
        }
        return data
    }
}
