import Logging

/// Development-only transport that logs each email, link included, instead of sending it.
///
/// The link carries a live token, so the server refuses this transport in production.
public struct LogTransport: EmailTransport {
    private let logger: Logger

    /// Creates a transport that writes to `logger` at `.notice`.
    public init(logger: Logger) {
        self.logger = logger
    }

    public func send(_ message: EmailMessage, from: String) async throws {
        logger.notice("email not sent (log transport, development only)", metadata: [
            "email.kind": "\(message.kind)",
            "email.to": "\(message.to)",
            "email.subject": "\(message.subject)",
            "email.url": "\(message.url ?? "-")",
        ])
    }
}
