import Foundation

/// The two-factor plugin: enrolment, and the second step of a sign-in in
/// `.twoFactorRequired`. A wrong code throws and keeps the challenge; `trustDevice` keeps the
/// plugin's `trust_device` cookie in the store so this device's next sign-ins skip the step.
extension GatehouseClient {
    /// Starts enrolment: the secret as an `otpauth://` URI and the backup codes. Two-factor is
    /// on once `verifyTOTP(code:)` confirms a first code.
    public func enableTwoFactor(password: String? = nil) async throws -> TwoFactorSetup {
        try await send(.post, "/two-factor/enable", body: WireJSON.body(["password": password.field])).decode(TwoFactorSetup.self)
    }

    public func disableTwoFactor(password: String? = nil) async throws {
        _ = try await send(.post, "/two-factor/disable", body: WireJSON.body(["password": password.field]))
        _ = try await refreshedUser()
    }

    /// A code from the authenticator app: finishes a pending sign-in, or (signed in) completes
    /// enrolment. Returns the signed-in user.
    @discardableResult
    public func verifyTOTP(code: String, trustDevice: Bool = false) async throws -> User {
        try await verifySecondFactor("/two-factor/verify-totp", code: code, trustDevice: trustDevice)
    }

    /// One of the backup codes (each works once).
    @discardableResult
    public func verifyBackupCode(_ code: String, trustDevice: Bool = false) async throws -> User {
        try await verifySecondFactor("/two-factor/verify-backup-code", code: code, trustDevice: trustDevice)
    }

    /// Mails (or texts, as the server is set up) a one-time code for the pending sign-in.
    public func sendTwoFactorOTP() async throws {
        _ = try await send(.post, "/two-factor/send-otp", body: WireJSON.body([:]))
    }

    @discardableResult
    public func verifyTwoFactorOTP(code: String, trustDevice: Bool = false) async throws -> User {
        try await verifySecondFactor("/two-factor/verify-otp", code: code, trustDevice: trustDevice)
    }

    private func verifySecondFactor(_ path: String, code: String, trustDevice: Bool) async throws -> User {
        let pending = twoFactorCookie != nil
        let answer = try await send(.post, path, body: WireJSON.body(["code": .string(code), "trustDevice": .bool(trustDevice)]))
        if pending {
            return try await finishSignInForUser(answer)
        }
        // Signed in: an enrolment step; the user now has `twoFactorEnabled`.
        return try await refreshedUser()
    }
}
