import CCurlShim
import GatehouseOutbound

/// Sends email through an SMTP server with libcurl, on a thread of its own per message.
public struct SMTPTransport: EmailTransport {
    private let settings: SMTPSettings

    /// Creates a transport for the server described by `settings`.
    public init(settings: SMTPSettings) {
        self.settings = settings
    }

    public func send(_ message: EmailMessage, from: String) async throws {
        let mime = try MIMEMessage(message, from: from)
        let settings = settings
        try await CurlThread.run(name: "gatehouse-email") {
            try Self.deliver(mime, with: settings)
        }
    }

    private static func deliver(_ mime: MIMEMessage, with settings: SMTPSettings) throws {
        let curl = try CurlEasy()
        try curl.set(CURLOPT_URL, settings.url)
        try curl.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        try curl.set(CURLOPT_USE_SSL, Int(settings.tlsRequirement.rawValue))
        try curl.set(CURLOPT_CONNECTTIMEOUT, min(settings.timeoutSeconds, 10))
        try curl.set(CURLOPT_TIMEOUT, settings.timeoutSeconds)
        if let username = settings.username {
            try curl.set(CURLOPT_USERNAME, username)
            try curl.set(CURLOPT_PASSWORD, settings.password ?? "")
        }
        try curl.set(CURLOPT_MAIL_FROM, "<\(mime.from.address)>")
        try curl.set(CURLOPT_MAIL_RCPT, list: ["<\(mime.to.address)>"])
        try curl.upload(Array(mime.rendered.utf8))
        do {
            try curl.perform()
        } catch let error as CurlError {
            throw EmailDeliveryError("SMTP delivery failed: \(error.message)")
        }
    }
}
