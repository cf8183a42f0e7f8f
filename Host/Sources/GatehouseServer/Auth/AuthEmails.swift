import Foundation
import GatehouseCrypto
import GatehouseEmail
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
                               context: templateContext(user, extra: ["newEmail": updateTo ?? ""]))
    }

    /// Sends an email, the one way every email leaves the server, unless its recipient may not
    /// receive any: a user with a `suppressesEmail` field set (ABI 1.5), such as an anonymous
    /// user's placeholder address, which belongs to nobody. The user is read from the database by
    /// the address the transport would deliver to (`Name <address>` forms included), never from a
    /// copy a caller holds, which may be a cookie cache's. Answers false when it suppressed it.
    @discardableResult
    func deliverEmail(kind: String, to recipient: String, url: String?, token: String?, context: [String: String]) async throws -> Bool {
        guard let email else { return false }
        guard try await acceptsEmail(recipient) else {
            logger.debug("email suppressed", metadata: ["email.kind": "\(kind)"])
            return false
        }
        email.send(kind: kind, to: recipient, url: url, token: token, context: context)
        return true
    }

    /// Whether mail may go to `recipient`: no user at its address has a `suppressesEmail` field set.
    func acceptsEmail(_ recipient: String) async throws -> Bool {
        guard schema.table("user")?.fields.values.contains(where: \.suppressesEmail) == true,
              let address = EmailSender.address(of: recipient), let user = try await store.user(email: address) else { return true }
        return !refusesEmail(user)
    }

    /// Whether `user` may receive no email (a `suppressesEmail` field is set): an address no one
    /// proves, so nothing mailed to it may sign anyone in or set a password.
    func refusesEmail(_ user: Record) -> Bool {
        schema.table("user")?.fields.values.contains { $0.suppressesEmail && user.bool($0.name) == true } ?? false
    }

    func templateContext(_ user: Record, extra: [String: String] = [:]) -> [String: String] {
        var context = ["appName": config.appName, "name": user.string("name") ?? "", "email": user.string("email") ?? ""]
        context.merge(extra) { _, new in new }
        return context
    }
}
