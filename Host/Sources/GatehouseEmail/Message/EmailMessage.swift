/// One rendered email, ready for a transport.
public struct EmailMessage: Sendable {
    /// What the email is for, such as "reset-password" or "verify-email".
    public var kind: String
    /// The recipient's address.
    public var to: String
    /// The subject line, plain text.
    public var subject: String
    /// The plain-text body.
    public var text: String
    /// The HTML body.
    public var html: String
    /// The link the email asks the recipient to open, if any.
    public var url: String?
    /// The token behind that link, for transports that pass it on (webhooks).
    public var token: String?

    /// Creates a message from its rendered parts.
    public init(kind: String, to: String, subject: String, text: String, html: String, url: String? = nil, token: String? = nil) {
        self.kind = kind
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.url = url
        self.token = token
    }
}
