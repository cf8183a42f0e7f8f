import EmailSyntax
import GatehouseJSON
import PluginKit

/// The routes that mail codes, and the sign-up hook. Each answers `{success: true}` alike for
/// known and unknown addresses; whether a code is made and mailed depends on the address:
/// verification and reset codes go to registered addresses only, sign-in codes also to unknown
/// ones while sign-up is allowed. Nothing is written for an address that gets no mail.
struct Sending: Sendable {
    let context: EmailOTPContext
    let store: OTPStore

    /// `POST /email-otp/send-verification-otp {email, type}`. The host applies Better Auth's
    /// form-CSRF rule to it first (`formCSRF` in the manifest), so another site cannot make the
    /// server mail codes.
    func sendVerificationOTP(_ call: PluginCall) throws -> PluginAnswer {
        let type = try EmailOTPContext.type(in: call.body)
        try requireEmailTransport()
        let email = try EmailOTPContext.email(in: call.body)
        // Codes for a new address are requested from /email-otp/request-email-change in Better Auth.
        guard type != "change-email" else { throw EmailOTPError.invalidOTPType.failure }
        try send(type: type, to: email)
        return .json(["success": true])
    }

    /// `POST /email-otp/request-password-reset {email}` and its deprecated alias
    /// `POST /forget-password/email-otp`.
    func requestPasswordReset(_ call: PluginCall) throws -> PluginAnswer {
        try requireEmailTransport()
        let email = try EmailOTPContext.email(in: call.body)
        try send(type: "forget-password", to: email)
        return .json(["success": true])
    }

    /// After `/sign-up/*` with `sendVerificationOnSignUp`: an `email-verification` code to the
    /// address the answer names. The sign-up's answer is never changed, whatever happens here.
    func afterSignUp(_ call: PluginCall) -> PluginAnswer {
        guard context.settings.sendVerificationOnSignUp, context.emailAvailable,
              let response = call.response, response["status"]?.intValue == 200,
              let address = response["body"]?["user"]?["email"]?.stringValue
        else { return .keep }
        let email = address.lowercased()
        guard EmailAddress.isValid(email) else { return .keep }
        do {
            try send(type: "email-verification", to: email)
        } catch {
            context.host.log(.warning, "email-otp: no verification code after sign-up")
        }
        return .keep
    }

    /// Makes the code (whatever the address, so both cases cost alike), then saves and mails it
    /// if the address may receive one, or clears any earlier code if not.
    private func send(type: String, to email: String) throws {
        let identifier = OTPStore.identifier(type: type, email: email)
        let code = store.generate()
        let stored = try store.stored(code)
        let registered = try context.user(email: email) != nil
        guard registered || (type == "sign-in" && !context.settings.disableSignUp) else {
            try store.discard(identifier)
            return
        }
        let sent = try store.save(code, prepared: stored, identifier: identifier)
        // A code no one receives must not stay guessable (an anonymous user's placeholder).
        if try !context.mail(sent, to: email, type: type) { try store.discard(identifier) }
    }

    private func requireEmailTransport() throws {
        guard context.emailAvailable else {
            context.host.log(.error, "email-otp: no email transport is configured, so no code can be sent")
            throw EmailOTPError.emailNotConfigured.failure
        }
    }
}
