/// A way of delivering an ``EmailMessage``: SMTP, a webhook, or the log.
public protocol EmailTransport: Sendable {
    /// Delivers the message with `from` as the sender, throwing when delivery fails.
    func send(_ message: EmailMessage, from: String) async throws
}
