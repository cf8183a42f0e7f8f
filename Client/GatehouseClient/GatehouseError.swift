import Foundation

/// The server refused a call: every answer outside 2xx (404 included), with Better Auth's
/// `{code, message}` when the body has them. The client also uses it for a 2xx answer it cannot
/// decode (`code` `INVALID_RESPONSE`) and for the few refusals it makes itself (status 0).
public struct GatehouseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    public var code: String?
    public var message: String?

    public init(status: Int, code: String? = nil, message: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String {
        "GatehouseError(\(status)\(code.map { " \($0)" } ?? "")\(message.map { ": \($0)" } ?? ""))"
    }

    /// The error a non-2xx answer stands for; a body that is not Better Auth's error JSON leaves
    /// `code` nil and becomes the message when it is short text.
    init(status: Int, body: Data) {
        struct Wire: Decodable {
            var code: String?
            var message: String?
        }
        if let wire = try? JSONDecoder().decode(Wire.self, from: body) {
            self.init(status: status, code: wire.code, message: wire.message)
        } else {
            let text = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            self.init(status: status, message: text.isEmpty ? nil : text)
        }
    }

    /// Another sign-in or a sign-out finished while the call was under way; its outcome stands.
    static let sessionChanged = GatehouseError(status: 0, code: "SESSION_CHANGED",
                                               message: "Another sign-in or sign-out finished while this call was under way")

    /// A sign-in that now waits for its second factor (`AuthState.twoFactorRequired`), thrown by
    /// the calls that return a `User`.
    static let twoFactorRequired = GatehouseError(status: 401, code: "TWO_FACTOR_REQUIRED",
                                                  message: "The sign-in needs its second factor (verifyTOTP, verifyBackupCode or verifyTwoFactorOTP)")
}
