import CCurlShim

/// One outbound HTTP(S) request made by the server on someone's behalf (a plugin's
/// `http.dispatch`): never follows redirects, ignores proxy settings from the environment (the
/// guard must see the real destination), and connects only to addresses its `ConnectionGuard`
/// admits.
public struct OutboundRequest: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The server answered (any status, redirects included); `body` is cut at `maxBodyBytes`.
        case response(status: Int, body: [UInt8])
        /// No answer: `code` is `ADDRESS_REFUSED`, `TIMEOUT` or `CONNECTION_FAILED`.
        case failure(code: String, message: String)
    }

    public static let maxBodyBytes = 64 << 10

    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: String?
    public var timeoutSeconds: Int
    public var allowPrivateNetworks: Bool

    public init(method: String, url: String, headers: [(name: String, value: String)], body: String?, timeoutSeconds: Int,
                allowPrivateNetworks: Bool) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
        self.allowPrivateNetworks = allowPrivateNetworks
    }

    /// Runs the request on a thread of its own (never an executor's or a worker pool's).
    public func perform() async -> Outcome {
        let request = self
        do {
            return try await CurlThread.run(name: "gatehouse-outbound") { request.transfer() }
        } catch {
            return .failure(code: "CONNECTION_FAILED", message: "\(error)")
        }
    }

    private func transfer() -> Outcome {
        let connectionGuard = ConnectionGuard(allowPrivateNetworks: allowPrivateNetworks)
        do {
            let curl = try CurlEasy()
            try curl.set(CURLOPT_URL, url)
            try curl.set(CURLOPT_PROTOCOLS_STR, "http,https")
            try curl.set(CURLOPT_FOLLOWLOCATION, 0)
            try curl.set(CURLOPT_NOPROXY, "*")
            try curl.set(CURLOPT_CONNECTTIMEOUT, min(timeoutSeconds, 10))
            try curl.set(CURLOPT_TIMEOUT, timeoutSeconds)
            // No `Expect: 100-continue` round trip before a larger body.
            try curl.set(CURLOPT_HTTPHEADER, list: headers.map { "\($0.name): \($0.value)" } + ["Expect:"])
            if let body {
                try curl.set(CURLOPT_POSTFIELDSIZE, body.utf8.count)
                try curl.set(CURLOPT_COPYPOSTFIELDS, body)
            }
            if method == "HEAD" {
                try curl.set(CURLOPT_NOBODY, 1)
            } else if method != (body == nil ? "GET" : "POST") {
                try curl.set(CURLOPT_CUSTOMREQUEST, method)
            }
            try curl.keepResponseBody(limit: Self.maxBodyBytes)
            try curl.guardConnections(connectionGuard)
            try curl.perform()
            return .response(status: try curl.responseCode(), body: curl.responseBody)
        } catch let error as CurlError {
            if let refusal = connectionGuard.refusal { return .failure(code: "ADDRESS_REFUSED", message: refusal) }
            return .failure(code: error.code == CURLE_OPERATION_TIMEDOUT ? "TIMEOUT" : "CONNECTION_FAILED", message: error.message)
        } catch {
            return .failure(code: "CONNECTION_FAILED", message: "\(error)")
        }
    }
}
