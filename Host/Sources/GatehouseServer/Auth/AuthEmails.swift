import Foundation
import GatehouseCrypto
import GatehouseJSON
import GatehouseStorage

/// The emails the core sends, with Better Auth's link formats.
extension AuthContext {
    /// Payload of an email-verification token (HS256 JWT signed with the secret).
    struct VerificationClaims: Codable, Sendable, ExpiringClaims {
        var email: String
        var updateTo: String?
        var requestType: String?
        var iat: Int
        var exp: Int
    }

    var canSendEmail: Bool { email != nil }

    /// Sends the verify-email link: `{baseURL}/verify-email?token=<jwt>&callbackURL=<enc>`.
    func sendVerificationEmail(to address: String, user: Record, callbackURL: String?, updateTo: String? = nil,
                               requestType: String? = nil) async throws {
        guard let email else { return }
        let now = Int(Date().timeIntervalSince1970)
        let claims = VerificationClaims(email: (user.string("email") ?? address).lowercased(), updateTo: updateTo,
                                        requestType: requestType, iat: now, exp: now + config.emailVerification.expiresIn)
        let token = try await tokens.sign(claims)
        let url = endpointURL("/verify-email") + "?token=\(token)&callbackURL=" + URIComponent.encode(callbackURL ?? "/")
        let kind = requestType == "change-email-confirmation" ? "change-email-confirmation" : "verify-email"
        email.send(kind: kind, to: address, url: url, token: token, context: templateContext(user, extra: ["newEmail": updateTo ?? ""]))
    }

    func templateContext(_ user: Record, extra: [String: String] = [:]) -> [String: String] {
        var context = ["appName": config.appName, "name": user.string("name") ?? "", "email": user.string("email") ?? ""]
        context.merge(extra) { _, new in new }
        return context
    }
}
