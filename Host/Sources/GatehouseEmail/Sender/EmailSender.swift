import Logging

/// Renders emails from templates and hands them to a transport in the background.
public struct EmailSender: Sendable {
    private let transport: any EmailTransport
    private let templates: EmailTemplates
    private let from: String
    private let logger: Logger

    /// Creates a sender that sends as `from`, such as `Gatehouse <noreply@example.com>`.
    public init(transport: any EmailTransport, templates: EmailTemplates, from: String, logger: Logger) {
        self.transport = transport
        self.templates = templates
        self.from = from
        self.logger = logger
    }

    /// Renders and sends in the background; failures are logged (kind, recipient domain only, error) and never thrown to the caller.
    ///
    /// `url` and `token` are also offered to the templates as `{{url}}` and `{{token}}` unless `context` sets them.
    /// The returned task finishes once the attempt is over; callers may ignore it.
    @discardableResult
    public func send(kind: String, to: String, url: String?, token: String?, context: [String: String]) -> Task<Void, Never> {
        var linkValues: [String: String] = [:]
        linkValues["url"] = url
        linkValues["token"] = token
        let values = context.merging(linkValues) { given, _ in given }
        return Task { [transport, templates, from, logger] in
            do {
                let rendered = try templates.render(kind: kind, context: values)
                let message = EmailMessage(kind: kind, to: to, subject: rendered.subject, text: rendered.text,
                                           html: rendered.html, url: url, token: token)
                try await transport.send(message, from: from)
                logger.debug("email sent", metadata: ["email.kind": "\(kind)", "email.domain": "\(Self.domain(of: to))"])
            } catch {
                logger.error("email not sent", metadata: [
                    "email.kind": "\(kind)",
                    "email.domain": "\(Self.domain(of: to))",
                    "error": "\(error)",
                ])
            }
        }
    }

    /// The address a recipient (`ada@example.com`, `Ada <ada@example.com>`) is delivered to, as
    /// the transport parses it; nil when it parses as none.
    public static func address(of recipient: String) -> String? {
        (try? Mailbox(parsing: recipient))?.address
    }

    /// The recipient's domain, so logs never hold a whole address.
    private static func domain(of address: String) -> String {
        (try? Mailbox(parsing: address))?.domain ?? "-"
    }
}
