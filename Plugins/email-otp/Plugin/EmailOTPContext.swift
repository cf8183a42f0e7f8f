import EmailSyntax
import Foundation
import GatehouseJSON
import PluginKit

/// What every route shares: the host, the settings, the database and the code store.
struct EmailOTPContext: Sendable {
    let host: PluginHost
    let settings: EmailOTPSettings
    /// Whether the host has an email transport, so codes can be mailed at all.
    let emailAvailable: Bool
    let core: CoreOptions
    let db: PluginDatabase

    init(host: PluginHost, settings: EmailOTPSettings, info: JSONValue) throws {
        self.host = host
        self.settings = settings
        emailAvailable = info["email"]?.boolValue ?? false
        core = try CoreOptions(info)
        db = PluginDatabase(host: host)
    }

    /// A host operation whose failure the client must not read: it is logged with the
    /// operation and the host's code (never the request, which may hold an address) and
    /// answered as a plain server error.
    func call(_ operation: String, _ request: JSONValue) throws -> JSONValue {
        try guarded(operation) { try host.call(operation, request) }
    }

    /// Runs `body` (a database or other host operation), its failure logged and answered as
    /// `call` answers it.
    @discardableResult
    func guarded<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as PluginError {
            throw hostFailure(operation, failure)
        }
    }

    func hostFailure(_ operation: String, _ failure: PluginError) -> PluginError {
        host.log(.error, "email-otp: \(operation) failed (\(failure.code))")
        return failure.answered()
    }

    /// The user with this (lower-case) address, in API form.
    func user(email: String) throws -> JSONValue? {
        try call("users.find", ["email": .string(email)])["user"]?.nonNull
    }

    /// Mails `code` with the host's `otp` template.
    /// Answers false when the host held the mail back (a recipient no mail may reach, such as an
    /// anonymous user's placeholder address).
    func mail(_ code: String, to email: String, type: String) throws -> Bool {
        try call("email.send", ["kind": "otp", "to": .string(email), "token": .string(code),
                                "context": ["otp": .string(code), "type": .string(type)]])["suppressed"]?.boolValue != true
    }

    /// The `email` member of a body, lower-cased, or 400 `INVALID_EMAIL`.
    static func email(in body: JSONValue) throws -> String {
        let email = (body["email"]?.stringValue ?? "").lowercased()
        guard EmailAddress.isValid(email) else { throw EmailOTPError.invalidEmail.failure }
        return email
    }

    /// The `type` member: one of Better Auth's four types, else zod's enum refusal (400
    /// `VALIDATION_ERROR`), as Better Auth's body schema answers it.
    static func type(in body: JSONValue) throws -> String {
        let type = string("type", in: body)
        guard EmailOTPManifest.types.contains(type) else {
            let choices = EmailOTPManifest.types.map { "\"\($0)\"" }.joined(separator: "|")
            throw EmailOTPError.validation.failure(message: "[body.type] Invalid option: expected one of \(choices)")
        }
        return type
    }

    /// A required string member (the host validated its presence and type; this only reads it).
    static func string(_ key: String, in body: JSONValue) -> String { body[key]?.stringValue ?? "" }
}

/// The core options Better Auth's email-otp routes follow, from `host.info` (an ABI 1.5 host
/// reports them; the plugin loads on no older one). The password rules and
/// `revokeSessionsOnPasswordReset` are applied by the host (`passwords.check`, `users.resetPassword`).
struct CoreOptions: Sendable {
    /// verify-email signs the user in (`token` is then the new session's).
    let autoSignInAfterVerification: Bool

    init(_ info: JSONValue) throws {
        guard let autoSignIn = info["emailVerification"]?["autoSignInAfterVerification"]?.boolValue else {
            throw PluginError(code: "UNSUPPORTED_HOST", message: "email-otp needs the core's verification rules in host.info (ABI 1.5)")
        }
        autoSignInAfterVerification = autoSignIn
    }
}
