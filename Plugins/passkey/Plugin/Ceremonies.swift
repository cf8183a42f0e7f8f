import Foundation
import GatehouseJSON
import PluginKit

/// The four ceremony routes: options and verification for registration and for sign-in.
struct Ceremonies: Sendable {
    let host: PluginHost
    let settings: PasskeySettings
    let challenges: Challenges
    let store: PasskeyStore
    let registration: RegistrationVerifier
    let assertion: AssertionVerifier

    init(host: PluginHost, settings: PasskeySettings) {
        self.host = host
        self.settings = settings
        challenges = Challenges(host: host, settings: settings)
        store = PasskeyStore(db: PluginDatabase(host: host))
        let crypto = WebAuthnCrypto(host: host)
        registration = RegistrationVerifier(settings: settings, crypto: crypto)
        assertion = AssertionVerifier(settings: settings, crypto: crypto)
    }

    /// `PublicKeyCredentialCreationOptionsJSON` for the signed-in user, excluding the passkeys
    /// they already have.
    func registrationOptions(_ call: PluginCall) throws -> PluginAnswer {
        let user = try signedInUser(call)
        let userID = user["id"]?.stringValue ?? ""
        let existing = try store.list(userID: userID)
        let attachment = call.query("authenticatorAttachment") ?? settings.authenticatorAttachment
        guard attachment.map(["platform", "cross-platform"].contains) ?? true else {
            throw PluginError(code: "VALIDATION_ERROR", message: "authenticatorAttachment must be platform or cross-platform")
        }
        var selection: [(String, JSONValue)] = [("residentKey", .string(settings.residentKey)), ("userVerification", .string(settings.userVerification)),
                                                ("requireResidentKey", .bool(settings.residentKey == "required"))]
        if let attachment { selection.append(("authenticatorAttachment", .string(attachment))) }
        let name = call.query("name") ?? user["email"]?.stringValue ?? userID
        return try challenges.issue(kind: "registration", userID: userID) { challenge in .json([
            "challenge": .string(challenge),
            "rp": ["name": .string(settings.rpName), "id": .string(settings.rpID)],
            "user": ["id": .string(Base64URL.encode(Array(userID.utf8))), "name": .string(name), "displayName": .string(name)],
            "pubKeyCredParams": .array(COSEAlgorithm.allCases.map { ["alg": .int($0.rawValue), "type": "public-key"] }),
            "timeout": .int(settings.timeoutMilliseconds),
            "attestation": .string(settings.attestation),
            "excludeCredentials": .array(existing.map(Self.descriptor)),
            "authenticatorSelection": .object(.init(uniqueKeysWithValues: selection)),
            "extensions": ["credProps": true],
            "hints": [],
        ]) }
    }

    /// Stores the credential of a `RegistrationResponseJSON` for the signed-in user.
    func verifyRegistration(_ call: PluginCall) throws -> PluginAnswer {
        let user = try signedInUser(call)
        let userID = user["id"]?.stringValue ?? ""
        let expected = try challenges.take(call, kind: "registration")
        guard expected.userID == userID else { throw PasskeyError.notAllowedToRegister.failure }
        let credential = try registration.verify(call.body["response"] ?? .null, challenge: expected.challenge)
        guard try store.find(credentialID: credential.credentialID) == nil else {
            throw PasskeyError.failedToVerifyRegistration.failure("this credential is already registered")
        }
        if credential.attestationTrust == "unverified" {
            host.log(.info, "passkey registered with an attestation certificate that leads to no configured root (recorded as unverified)")
        }
        let row = try store.create(credential, userID: userID, name: call.body["name"]?.stringValue)
        return PluginAnswer.json(row).expireCookie(settings.challengeCookie)
    }

    /// `PublicKeyCredentialRequestOptionsJSON`; a signed-in caller is limited to their passkeys.
    func authenticationOptions(_ call: PluginCall) throws -> PluginAnswer {
        let user = try host.session(of: call)?["user"]
        let userID = user?["id"]?.stringValue ?? ""
        let allowed = userID.isEmpty ? [] : try store.list(userID: userID)
        return try challenges.issue(kind: "authentication", userID: userID) { challenge in .json([
            "challenge": .string(challenge), "rpId": .string(settings.rpID), "timeout": .int(settings.timeoutMilliseconds),
            "userVerification": .string(settings.userVerification), "allowCredentials": .array(allowed.map(Self.descriptor)),
        ]) }
    }

    /// Checks an `AuthenticationResponseJSON` and signs its user in: `{session, user}` and cookies.
    func verifyAuthentication(_ call: PluginCall) throws -> PluginAnswer {
        let expected = try challenges.take(call, kind: "authentication")
        let response = call.body["response"] ?? .null
        guard let id = response["id"]?.stringValue, let passkey = try store.find(credentialID: id) else {
            throw PasskeyError.passkeyNotFound.failure
        }
        guard expected.userID.isEmpty || expected.userID == passkey.userID else {
            throw PasskeyError.authenticationFailed.failure("the passkey belongs to another user")
        }
        let data = try assertion.verify(response, challenge: expected.challenge, passkey: passkey)
        // A counter that does not grow means two authenticators share the key: a clone.
        if data.signCount != 0 || passkey.counter != 0, Int(data.signCount) <= passkey.counter {
            host.log(.warning, "passkey \(passkey.id) of user \(passkey.userID): sign count \(data.signCount) is not above \(passkey.counter); possible cloned authenticator")
            throw PasskeyError.authenticationFailed.failure("the sign counter went backwards (possible cloned authenticator)")
        }
        guard try store.advance(passkey, to: data.signCount, backedUp: data.backedUp) else {
            throw PasskeyError.authenticationFailed.failure("the passkey was used concurrently")
        }
        guard let user = try host.call("users.find", ["id": .string(passkey.userID)])["user"]?.nonNull else {
            throw PasskeyError.unableToCreateSession.failure
        }
        let answer = PluginAnswer.json(["session": .null, "user": user]).expireCookie(settings.challengeCookie)
            .signIn(userID: passkey.userID, sessionKey: "session")
        return try TwoFactorChallenge(host: host).settle(call, userID: passkey.userID, on: answer)
    }

    private func signedInUser(_ call: PluginCall) throws -> JSONValue {
        guard let user = call.session?["user"] else { throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized") }
        return user
    }

    private static func descriptor(_ passkey: StoredPasskey) -> JSONValue {
        var entry: JSONValue = ["id": .string(passkey.credentialID), "type": "public-key"]
        if let transports = passkey.row["transports"]?.stringValue, !transports.isEmpty {
            entry = ["id": .string(passkey.credentialID), "type": "public-key",
                     "transports": .array(transports.split(separator: ",").map { .string(String($0)) })]
        }
        return entry
    }
}

/// A passkey is a second factor as good as any: a pending two-factor sign-in challenge of the
/// same user (the two-factor plugin's signed `two_factor` cookie naming a `2fa-…` row) is used
/// up when a passkey signs that user in, so it cannot be completed a second time.
struct TwoFactorChallenge: Sendable {
    let host: PluginHost

    func settle(_ call: PluginCall, userID: String, on answer: PluginAnswer) throws -> PluginAnswer {
        guard let cookie = call.cookie(host.cookieName("two_factor")), let identifier = host.verify(cookie), identifier.hasPrefix("2fa-"),
              try host.call("verifications.find", ["identifier": .string(identifier)])["value"]?.stringValue == userID
        else { return answer }
        _ = try host.call("verifications.consume", ["identifier": .string(identifier)])
        return answer.expireCookie("two_factor")
    }
}
