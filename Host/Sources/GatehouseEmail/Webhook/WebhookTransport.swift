import CCurlShim
import GatehouseOutbound

/// Hands each email to an HTTP endpoint as a JSON POST, for services that send mail themselves.
public struct WebhookTransport: EmailTransport {
    private let url: String
    private let headers: [String: String]
    private let timeoutSeconds: Int

    /// Creates a transport posting to `url` with extra `headers`, such as an authorization header.
    public init(url: String, headers: [String: String] = [:], timeoutSeconds: Int = 10) {
        self.url = url
        self.headers = headers
        self.timeoutSeconds = timeoutSeconds
    }

    public func send(_ message: EmailMessage, from: String) async throws {
        let body = WebhookPayload.body(for: message, from: from)
        let headerLines = ["Content-Type: application/json", "Expect:"]
            + headers.sorted { $0.key < $1.key }.map { "\($0.key.singleLine): \($0.value.singleLine)" }
        let url = url
        let timeoutSeconds = timeoutSeconds
        try await CurlThread.run(name: "gatehouse-email") {
            let curl = try CurlEasy()
            try curl.set(CURLOPT_URL, url)
            try curl.set(CURLOPT_PROTOCOLS_STR, "http,https")
            try curl.set(CURLOPT_CONNECTTIMEOUT, min(timeoutSeconds, 10))
            try curl.set(CURLOPT_TIMEOUT, timeoutSeconds)
            try curl.set(CURLOPT_HTTPHEADER, list: headerLines)
            try curl.set(CURLOPT_POSTFIELDSIZE, body.utf8.count)
            try curl.set(CURLOPT_COPYPOSTFIELDS, body)
            do {
                try curl.perform()
            } catch let error as CurlError {
                throw EmailDeliveryError("webhook delivery failed: \(error.message)")
            }
            let status = try curl.responseCode()
            guard (200..<300).contains(status) else {
                throw EmailDeliveryError("webhook delivery failed: HTTP status \(status)")
            }
        }
    }
}
