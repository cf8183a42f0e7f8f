import Foundation

/// An RFC 5322 email with a multipart/alternative body: plain text first, then HTML.
struct MIMEMessage: Sendable {
    /// The sender, as in the From header and MAIL FROM.
    let from: Mailbox
    /// The recipient, as in the To header and RCPT TO.
    let to: Mailbox
    let subject: String
    let text: String
    let html: String
    let date: Date
    let messageID: String
    let boundary: String

    /// Builds the message for `message` sent by `from`, rejecting malformed addresses.
    init(_ message: EmailMessage, from: String, date: Date = Date()) throws {
        self.from = try Mailbox(parsing: from)
        self.to = try Mailbox(parsing: message.to)
        self.subject = message.subject
        self.text = message.text
        self.html = message.html
        self.date = date
        let unique = UUID().uuidString.lowercased()
        self.messageID = "<\(unique)@\(self.from.domain)>"
        self.boundary = "=_gatehouse_\(unique.replacingOccurrences(of: "-", with: ""))"
    }

    /// The complete message with CRLF line ends, ready for SMTP DATA.
    var rendered: String {
        let headers = [
            "Date: \(RFC5322Date.format(date))",
            "From: \(from.headerValue)",
            "To: \(to.headerValue)",
            "Subject: \(EncodedWord.headerValue(subject.singleLine))",
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
        ]
        let parts = [part("text/plain", text), part("text/html", html)]
        return headers.joined(separator: "\r\n") + "\r\n\r\n"
            + parts.map { "--\(boundary)\r\n\($0)\r\n" }.joined()
            + "--\(boundary)--\r\n"
    }

    private func part(_ contentType: String, _ body: String) -> String {
        "Content-Type: \(contentType); charset=utf-8\r\n"
            + "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            + QuotedPrintable.encode(body)
    }
}
