import Foundation
import GatehouseJSON
import Logging
import Synchronization
import Testing
@testable import GatehouseEmail

// MARK: - Templates

@Suite struct EmailTemplateTests {
    let context = ["appName": "Acme", "url": "https://acme.test/reset?token=t0k", "otp": "123456",
                   "organizationName": "Rockets", "inviterName": "Wile"]

    @Test func everyDefaultKindRenders() throws {
        let templates = try EmailTemplates(directory: nil)
        for kind in ["reset-password", "verify-email", "change-email-confirmation", "delete-account", "invitation", "magic-link"] {
            let rendered = try templates.render(kind: kind, context: context)
            #expect(rendered.subject.contains("Acme"), "\(kind)")
            #expect(!rendered.subject.contains("\n"), "\(kind)")
            #expect(rendered.text.contains("https://acme.test/reset?token=t0k"), "\(kind)")
            #expect(rendered.html.contains("href=\"https://acme.test/reset?token=t0k\""), "\(kind)")
        }
        let otp = try templates.render(kind: "otp", context: context)
        #expect(otp.text.contains("123456") && otp.html.contains("123456"))
        let invitation = try templates.render(kind: "invitation", context: context)
        #expect(invitation.subject == "Wile invited you to join Rockets on Acme")
    }

    @Test func changeEmailMentionsTheNewAddressOnlyWhenGiven() throws {
        let templates = try EmailTemplates(directory: nil)
        let with = try templates.render(kind: "change-email-confirmation", context: context.merging(["newEmail": "new@acme.test"]) { $1 })
        let without = try templates.render(kind: "change-email-confirmation", context: context)
        #expect(with.text.contains("account to new@acme.test."))
        #expect(without.text.contains("account. To approve"))
    }

    @Test func htmlEscapesValuesButTextAndSubjectDoNot() throws {
        let templates = try EmailTemplates(directory: nil)
        let hostile = ["appName": "<b>A&B</b>", "url": "https://x.test/?a=1&b=\"2\""]
        let rendered = try templates.render(kind: "verify-email", context: hostile)
        #expect(rendered.html.contains("&lt;b&gt;A&amp;B&lt;/b&gt;"))
        #expect(!rendered.html.contains("<b>A&B</b>"))
        #expect(rendered.html.contains("href=\"https://x.test/?a=1&amp;b=&quot;2&quot;\""))
        #expect(rendered.text.contains("<b>A&B</b>"))
        #expect(rendered.text.contains("https://x.test/?a=1&b=\"2\""))
        #expect(rendered.subject == "Verify your email address for <b>A&B</b>")
    }

    @Test func filesInTheDirectoryOverrideDefaults() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try write("Custom {{appName}}\n", to: directory, "reset-password.subject.mustache")
        try write("Hello {{appName}}: {{url}}\n", to: directory, "reset-password.text.mustache")
        try write("New {{thing}}", to: directory, "welcome.subject.mustache")
        try write("notes", to: directory, "README.md")

        let templates = try EmailTemplates(directory: directory.path)
        let reset = try templates.render(kind: "reset-password", context: ["appName": "A&B", "url": "https://x.test/?a=1&b=2"])
        #expect(reset.subject == "Custom A&B")
        #expect(reset.text == "Hello A&B: https://x.test/?a=1&b=2\n")
        #expect(reset.html.contains("Reset password"))
        #expect(reset.html.contains("A&amp;B"))

        let error = #expect(throws: EmailTemplateError.self) {
            try templates.render(kind: "welcome", context: ["thing": "x"])
        }
        #expect(error?.file == "welcome.text.mustache")
    }

    @Test func malformedTemplateIsAnErrorNamingTheFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try write("<p>\n{{#open}}never closed\n", to: directory, "verify-email.html.mustache")
        let error = #expect(throws: EmailTemplateError.self) { try EmailTemplates(directory: directory.path) }
        #expect(error?.file == "verify-email.html.mustache")
        #expect(error?.description.contains("verify-email.html.mustache") == true)
    }

    @Test func unknownTemplatePartIsAnError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try write("x", to: directory, "verify-email.txt.mustache")
        let error = #expect(throws: EmailTemplateError.self) { try EmailTemplates(directory: directory.path) }
        #expect(error?.file == "verify-email.txt.mustache")
    }

    @Test func missingDirectoryIsAnError() {
        #expect(throws: EmailTemplateError.self) { try EmailTemplates(directory: "/nonexistent/gatehouse-templates") }
    }
}

// MARK: - MIME

@Suite struct MIMETests {
    @Test func asciiSubjectStaysReadable() {
        #expect(EncodedWord.headerValue("Reset your Acme password") == "Reset your Acme password")
    }

    @Test func nonASCIISubjectIsRFC2047Encoded() {
        #expect(EncodedWord.headerValue("Grüße") == "=?UTF-8?B?R3LDvMOfZQ==?=")
    }

    @Test func longSubjectIsSplitIntoFoldedWordsOnScalarBoundaries() throws {
        let subject = String(repeating: "Bestätigen Sie Ihre E-Mail-Adresse für Gätehouse 🚀 ", count: 4)
        let value = EncodedWord.headerValue(subject)
        let words = value.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        var decoded = Data()
        for word in words {
            #expect(word.count <= 75)
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            let payload = try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))))
            #expect(String(data: payload, encoding: .utf8) != nil, "each word holds whole characters")
            decoded += payload
        }
        #expect(String(data: decoded, encoding: .utf8) == subject)
    }

    @Test func encodedWordLookalikeIsEncoded() {
        #expect(EncodedWord.headerValue("=?UTF-8?B?SGk=?=").hasPrefix("=?UTF-8?B?PT9"))
    }

    @Test func quotedPrintableEncodesUnsafeBytesAndWrapsLines() {
        #expect(QuotedPrintable.encode("a=b é") == "a=3Db =C3=A9")
        #expect(QuotedPrintable.encode("trailing \nnext") == "trailing=20\r\nnext")
        #expect(QuotedPrintable.encode(".\r\n.x") == "=2E\r\n=2Ex")
        let long = QuotedPrintable.encode(String(repeating: "abcdefghij", count: 20))
        let lines = long.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 76 })
        #expect(lines.dropLast().allSatisfy { $0.hasSuffix("=") })
        #expect(lines.map { $0.hasSuffix("=") ? String($0.dropLast()) : $0 }.joined() == String(repeating: "abcdefghij", count: 20))
    }

    @Test func messageHasTheRFC5322HeadersAndBothParts() throws {
        let message = EmailMessage(kind: "verify-email", to: "alice@example.com", subject: "Hi\r\nBcc: evil@example.com",
                                   text: "Plain", html: "<p>Rich</p>")
        let mime = try MIMEMessage(message, from: "Acme Support <noreply@acme.test>", date: Date(timeIntervalSince1970: 0))
        let rendered = mime.rendered
        let head = try #require(rendered.components(separatedBy: "\r\n\r\n").first)
        #expect(head.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000"))
        #expect(head.contains("From: \"Acme Support\" <noreply@acme.test>"))
        #expect(head.contains("To: alice@example.com"))
        #expect(head.contains("Subject: Hi  Bcc: evil@example.com"))
        #expect(!head.contains("\r\nBcc:"))
        #expect(head.contains("Message-ID: <") && head.contains("@acme.test>"))
        #expect(head.contains("MIME-Version: 1.0"))
        #expect(head.contains("Content-Type: multipart/alternative; boundary=\"\(mime.boundary)\""))
        #expect(rendered.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nPlain\r\n"))
        #expect(rendered.contains("Content-Type: text/html; charset=utf-8"))
        #expect(rendered.hasSuffix("--\(mime.boundary)--\r\n"))
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }

    @Test func malformedAddressesAreRejected() throws {
        let message = EmailMessage(kind: "verify-email", to: "alice@example.com\r\nBcc: x@y.z", subject: "s", text: "t", html: "h")
        #expect(throws: EmailDeliveryError.self) { try MIMEMessage(message, from: "noreply@acme.test") }
        #expect(throws: EmailDeliveryError.self) { try Mailbox(parsing: "not-an-address") }
        #expect(try Mailbox(parsing: "Zoë <zoe@acme.test>").headerValue == "=?UTF-8?B?Wm/Dqw==?= <zoe@acme.test>")
    }
}

// MARK: - SMTP

@Suite(.enabled(if: PythonSink.python3 != nil, "python3 is not installed"))
struct SMTPTransportTests {
    @Test func deliversAMultipartMessageToARealSMTPServer() async throws {
        let sink = try await PythonSink.start("smtp_sink.py", arguments: ["--user", "mailer", "--password", "s3cret"])
        defer { sink.stop() }
        let templates = try EmailTemplates(directory: nil)
        let link = "https://acme.test/reset?token=t0k&x=1"
        let rendered = try templates.render(kind: "reset-password", context: ["appName": "Gätehouse", "url": link])
        let message = EmailMessage(kind: "reset-password", to: "Alice <alice@example.com>", subject: rendered.subject,
                                   text: rendered.text, html: rendered.html, url: link, token: "t0k")
        let transport = SMTPTransport(settings: SMTPSettings(
            host: "127.0.0.1", port: sink.port, startTLS: .off, username: "mailer", password: "s3cret", timeoutSeconds: 10))

        try await transport.send(message, from: "Gatehouse <noreply@acme.test>")

        let received = try await sink.record(1)
        #expect(received["to"]?.stringValue == "Alice <alice@example.com>")
        #expect(received["from"]?.stringValue == "Gatehouse <noreply@acme.test>")
        #expect(received["subject"]?.stringValue == "Reset your Gätehouse password")
        #expect(received["content_type"]?.stringValue == "multipart/alternative")
        #expect(received["has_date"] == true && received["has_message_id"] == true)
        #expect(received["mime_version"]?.stringValue == "1.0")
        #expect(received["mail_from"]?.stringValue == "noreply@acme.test")
        #expect(received["rcpt_tos"] == ["alice@example.com"])
        #expect(received["login"]?.stringValue == "mailer")
        let text = try #require(received["text"]?.stringValue)
        let html = try #require(received["html"]?.stringValue)
        #expect(text.replacingOccurrences(of: "\r\n", with: "\n") == rendered.text)
        #expect(html.contains("href=\"https://acme.test/reset?token=t0k&amp;x=1\""))
        let raw = try String(contentsOf: sink.directory.appendingPathComponent("1.eml"), encoding: .utf8)
        #expect(raw.contains("Subject: =?UTF-8?B?"))
    }

    @Test func wrongPasswordFailsWithoutRevealingIt() async throws {
        let sink = try await PythonSink.start("smtp_sink.py", arguments: ["--user", "mailer", "--password", "s3cret"])
        defer { sink.stop() }
        let transport = SMTPTransport(settings: SMTPSettings(
            host: "127.0.0.1", port: sink.port, startTLS: .off, username: "mailer", password: "hunter2-wrong", timeoutSeconds: 10))
        let error = await #expect(throws: EmailDeliveryError.self) {
            try await transport.send(Self.message, from: "noreply@acme.test")
        }
        #expect(error?.message.hasPrefix("SMTP delivery failed") == true)
        #expect(error?.message.contains("hunter2") == false)
    }

    @Test func requiredStartTLSRefusesAPlainServer() async throws {
        let sink = try await PythonSink.start("smtp_sink.py")
        defer { sink.stop() }
        let transport = SMTPTransport(settings: SMTPSettings(host: "127.0.0.1", port: sink.port, startTLS: .required, timeoutSeconds: 10))
        await #expect(throws: EmailDeliveryError.self) {
            try await transport.send(Self.message, from: "noreply@acme.test")
        }
        #expect(!FileManager.default.fileExists(atPath: sink.directory.appendingPathComponent("1.json").path))
    }

    static let message = EmailMessage(kind: "verify-email", to: "bob@example.com", subject: "Hi", text: "t", html: "<p>h</p>")
}

// MARK: - Webhook

@Suite(.enabled(if: PythonSink.python3 != nil, "python3 is not installed"))
struct WebhookTransportTests {
    @Test func postsTheMessageAsJSON() async throws {
        let sink = try await PythonSink.start("webhook_sink.py")
        defer { sink.stop() }
        let transport = WebhookTransport(url: "http://127.0.0.1:\(sink.port)/email", headers: ["Authorization": "Bearer k"])
        let message = EmailMessage(kind: "reset-password", to: "alice@example.com", subject: "Süße \"Grüße\"",
                                   text: "line 1\nline 2", html: "<p>hi</p>", url: "https://acme.test/r?token=t", token: "t")

        try await transport.send(message, from: "noreply@acme.test")

        let record = try await sink.record(1)
        #expect(record["path"]?.stringValue == "/email")
        #expect(record["headers"]?["content-type"]?.stringValue == "application/json")
        #expect(record["headers"]?["authorization"]?.stringValue == "Bearer k")
        let body = try JSONValue.parse(try #require(record["body"]?.stringValue))
        #expect(body.objectValue.map { Array($0.keys) } == ["type", "to", "subject", "text", "html", "url", "token", "from"])
        #expect(body["type"]?.stringValue == "reset-password")
        #expect(body["to"]?.stringValue == "alice@example.com")
        #expect(body["subject"]?.stringValue == "Süße \"Grüße\"")
        #expect(body["text"]?.stringValue == "line 1\nline 2")
        #expect(body["url"]?.stringValue == "https://acme.test/r?token=t")
        #expect(body["token"]?.stringValue == "t")
        #expect(body["from"]?.stringValue == "noreply@acme.test")
    }

    @Test func nullsAbsentLinkAndToken() async throws {
        let sink = try await PythonSink.start("webhook_sink.py")
        defer { sink.stop() }
        let transport = WebhookTransport(url: "http://127.0.0.1:\(sink.port)/")
        try await transport.send(EmailMessage(kind: "otp", to: "a@b.test", subject: "s", text: "t", html: "h"), from: "n@b.test")
        let body = try JSONValue.parse(try #require(try await sink.record(1)["body"]?.stringValue))
        #expect(body["url"] == .null && body["token"] == .null)
    }

    @Test func non2xxIsAnError() async throws {
        let sink = try await PythonSink.start("webhook_sink.py")
        defer { sink.stop() }
        let transport = WebhookTransport(url: "http://127.0.0.1:\(sink.port)/fail")
        let error = await #expect(throws: EmailDeliveryError.self) {
            try await transport.send(SMTPTransportTests.message, from: "n@acme.test")
        }
        #expect(error?.message == "webhook delivery failed: HTTP status 500")
    }

    @Test func unreachableEndpointIsAnError() async throws {
        let transport = WebhookTransport(url: "http://127.0.0.1:1/", timeoutSeconds: 5)
        await #expect(throws: EmailDeliveryError.self) {
            try await transport.send(SMTPTransportTests.message, from: "n@acme.test")
        }
    }
}

// MARK: - Sender

@Suite struct EmailSenderTests {
    @Test func rendersAndSendsInTheBackground() async throws {
        let transport = RecordingTransport()
        let sender = EmailSender(transport: transport, templates: try EmailTemplates(directory: nil),
                                 from: "noreply@acme.test", logger: Logger(label: "test"))
        await sender.send(kind: "verify-email", to: "alice@example.com", url: "https://acme.test/v?token=t",
                          token: "t", context: ["appName": "Acme"]).value
        let sent = try #require(transport.sent.withLock { $0.first })
        #expect(sent.from == "noreply@acme.test")
        #expect(sent.message.subject == "Verify your email address for Acme")
        #expect(sent.message.text.contains("https://acme.test/v?token=t"))
        #expect(sent.message.url == "https://acme.test/v?token=t" && sent.message.token == "t")
    }

    @Test func failuresAreLoggedWithTheDomainOnly() async throws {
        let logs = LogRecorder()
        let sender = EmailSender(transport: FailingTransport(), templates: try EmailTemplates(directory: nil),
                                 from: "noreply@acme.test", logger: Logger(label: "test") { _ in logs })
        await sender.send(kind: "reset-password", to: "alice@example.com", url: "https://acme.test/r?token=secret-token",
                          token: "secret-token", context: ["appName": "Acme"]).value
        await sender.send(kind: "no-such-kind", to: "bob@example.org", url: nil, token: nil, context: [:]).value
        let lines = logs.lines.withLock { $0 }
        #expect(lines.count == 2)
        #expect(lines[0].contains("email.domain=example.com") && lines[0].contains("email.kind=reset-password"))
        #expect(lines[1].contains("email.domain=example.org") && lines[1].contains("no-such-kind.subject.mustache"))
        #expect(lines.allSatisfy { !$0.contains("alice@") && !$0.contains("bob@") && !$0.contains("secret-token") })
    }
}

// MARK: - Helpers

/// A transport that keeps what it is asked to send.
final class RecordingTransport: EmailTransport {
    let sent = Mutex<[(message: EmailMessage, from: String)]>([])

    func send(_ message: EmailMessage, from: String) async throws {
        sent.withLock { $0.append((message, from)) }
    }
}

/// A transport that always fails.
struct FailingTransport: EmailTransport {
    func send(_ message: EmailMessage, from: String) async throws {
        throw EmailDeliveryError("connection refused")
    }
}

/// A log handler that keeps error lines as `message key=value...`.
final class LogRecorder: LogHandler {
    let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .error }
        set {}
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        lines.withLock { $0.append(([event.message.description] + fields).joined(separator: " ")) }
    }
}

/// A Python sink script (SMTP or HTTP) running for one test, storing what it receives in a temporary directory.
final class PythonSink: @unchecked Sendable {
    /// The python3 on PATH, if any.
    static let python3: URL? = ProcessInfo.processInfo.environment["PATH"]?
        .split(separator: ":")
        .map { URL(fileURLWithPath: String($0)).appendingPathComponent("python3") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }

    let directory: URL
    let port: Int
    private let process: Process

    private init(directory: URL, port: Int, process: Process) {
        self.directory = directory
        self.port = port
        self.process = process
    }

    /// Starts `script` from this folder and waits until it has written its port.
    static func start(_ script: String, arguments: [String] = []) async throws -> PythonSink {
        let directory = try temporaryDirectory()
        let process = Process()
        process.executableURL = python3
        let scriptURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(script)
        process.arguments = [scriptURL.path, directory.path, "--lifetime", "60"] + arguments
        try process.run()
        let portFile = directory.appendingPathComponent("port")
        for _ in 0..<200 where process.isRunning && !FileManager.default.fileExists(atPath: portFile.path) {
            try await Task.sleep(for: .milliseconds(50))
        }
        guard process.isRunning else {
            throw EmailDeliveryError("\(script) exited early (for SMTP: is aiosmtpd installed? pip install aiosmtpd)")
        }
        let port = try #require(Int(try String(contentsOf: portFile, encoding: .utf8)))
        return PythonSink(directory: directory, port: port, process: process)
    }

    /// The JSON record of the `number`th thing received, once it exists.
    func record(_ number: Int) async throws -> JSONValue {
        let file = try await Self.waitForFile(directory.appendingPathComponent("\(number).json"))
        return try JSONValue.parse(try String(contentsOf: file, encoding: .utf8))
    }

    /// Stops the script without waiting for it, and removes its directory.
    func stop() {
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func waitForFile(_ file: URL) async throws -> URL {
        for _ in 0..<200 {
            if FileManager.default.fileExists(atPath: file.path) { return file }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw EmailDeliveryError("timed out waiting for \(file.lastPathComponent)")
    }
}

func temporaryDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-email-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

func write(_ text: String, to directory: URL, _ name: String) throws {
    try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
}
