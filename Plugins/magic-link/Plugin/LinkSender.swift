import EmailSyntax
import GatehouseJSON
import PluginKit

/// `POST /sign-in/magic-link`: stores a one-time token and mails the link
/// `{baseURL}{basePath}/magic-link/verify?token=…&callbackURL=…[&newUserCallbackURL=…][&errorCallbackURL=…]`.
/// As in Better Auth, the address is not looked up here: known and unknown addresses (and, with
/// `disableSignUp`, addresses that will be refused at the link) get the same work, the same mail
/// and the same `{status: true}`, so the answer tells nothing about who has an account. The host
/// applies Better Auth's form-CSRF rule to the route (`formCSRF` in the manifest) before it runs.
struct LinkSender: Sendable {
    let host: PluginHost
    let tokens: MagicLinkTokens
    /// `{baseURL}{basePath}/magic-link/verify`.
    let verifyURL: String
    /// Whether the host has an email transport (`host.info`).
    let emailAvailable: Bool

    func send(_ call: PluginCall) throws -> PluginAnswer {
        let body = call.body
        // The host checked that `email` is a string; its syntax is refused as the core's sign-in does.
        guard let email = body["email"]?.stringValue?.lowercased(), EmailAddress.isValid(email) else {
            throw PluginError(status: 400, code: "INVALID_EMAIL", message: "Invalid email")
        }
        guard emailAvailable else { throw MagicLinkError.emailNotConfigured.failure }
        let name = body["name"]?.stringValue
        let token = try tokens.issue(.init(email: email, name: name))
        let url = link(token: token, body: body)

        var context: JSONValue = ["email": .string(email)]
        if let name { context = Self.adding("name", .string(name), to: context) }
        if let metadata = body["metadata"]?.nonNull { context = Self.adding("metadata", metadata, to: context) }
        do {
            let sent = try host.call("email.send", ["kind": "magic-link", "to": .string(email), "url": .string(url), "token": .string(token),
                                                    "context": context])
            // A link no one receives must not stay usable (an anonymous user's placeholder).
            if sent["suppressed"]?.boolValue == true { _ = try tokens.redeem(token) }
        } catch let error as PluginError where error.code == "EMAIL_NOT_CONFIGURED" {
            throw MagicLinkError.emailNotConfigured.failure
        }
        return .json(["status": true])
    }

    /// The emailed link, with Better Auth's parameters in its order, each form-encoded as
    /// `URLSearchParams` writes it (`callbackURL=%2F` when none was given).
    private func link(token: String, body: JSONValue) -> String {
        var query = "token=" + URLText.formEncode(token)
        query += "&callbackURL=" + URLText.formEncode(Self.nonEmpty(body["callbackURL"]) ?? "/")
        for key in ["newUserCallbackURL", "errorCallbackURL"] {
            if let value = Self.nonEmpty(body[key]) { query += "&\(key)=" + URLText.formEncode(value) }
        }
        return verifyURL + "?" + query
    }

    private static func nonEmpty(_ value: JSONValue?) -> String? {
        guard let text = value?.stringValue, !text.isEmpty else { return nil }
        return text
    }

    private static func adding(_ key: String, _ value: JSONValue, to object: JSONValue) -> JSONValue {
        guard var members = object.objectValue else { return object }
        members[key] = value
        return .object(members)
    }
}
