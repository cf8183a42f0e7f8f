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
        guard canSendEmail else { return }
        let now = Int(Date().timeIntervalSince1970)
        let claims = VerificationClaims(email: (user.string("email") ?? address).lowercased(), updateTo: updateTo,
                                        requestType: requestType, iat: now, exp: now + config.emailVerification.expiresIn)
        let token = try await tokens.sign(claims)
        let url = endpointURL("/verify-email") + "?token=\(token)&callbackURL=" + URIComponent.encode(callbackURL ?? "/")
        let kind = requestType == "change-email-confirmation" ? "change-email-confirmation" : "verify-email"
        try await deliverEmail(kind: kind, to: address, url: url, token: token,
                               context: templateContext(user, extra: ["newEmail": updateTo ?? ""]), recipient: user)
    }

    /// Sends an email, the one way every email leaves the server, unless its recipient may not
    /// receive any: a user with a `suppressesEmail` field set (ABI 1.5), such as an anonymous
    /// user's placeholder address, which belongs to nobody. `recipient` is the user when the
    /// caller has it at hand; otherwise the address is looked up.
    func deliverEmail(kind: String, to address: String, url: String?, token: String?, context: [String: String],
                      recipient: Record? = nil) async throws {
        guard let email else { return }
        let suppressing = schema.table("user")?.fields.values.filter(\.suppressesEmail).map(\.name) ?? []
        if !suppressing.isEmpty {
            let user = if let recipient, recipient.string("email")?.lowercased() == address.lowercased() { recipient }
                else { try await store.user(email: address) }
            if let user, suppressing.contains(where: { user.bool($0) == true }) {
                logger.debug("email suppressed", metadata: ["email.kind": "\(kind)"])
                return
            }
        }
        email.send(kind: kind, to: address, url: url, token: token, context: context)
    }

    func templateContext(_ user: Record, extra: [String: String] = [:]) -> [String: String] {
        var context = ["appName": config.appName, "name": user.string("name") ?? "", "email": user.string("email") ?? ""]
        context.merge(extra) { _, new in new }
        return context
    }
}
