import CCurlShim

/// Where and how ``SMTPTransport`` connects.
public struct SMTPSettings: Sendable {
    /// The server's host name or IP address.
    public var host: String
    /// The server's port: usually 587 (STARTTLS), 465 (implicit TLS) or 25.
    public var port: Int
    /// Implicit TLS from the first byte (`smtps://`), as on port 465.
    public var secure: Bool
    /// STARTTLS on a plain connection; ignored when `secure` is set.
    public var startTLS: StartTLSMode
    /// The login name; authentication is attempted only when set.
    public var username: String?
    /// The login password.
    public var password: String?
    /// The limit in seconds for one whole delivery, connection included.
    public var timeoutSeconds: Int

    /// Creates settings for submission on port 587 with STARTTLS required.
    public init(
        host: String,
        port: Int = 587,
        secure: Bool = false,
        startTLS: StartTLSMode = .required,
        username: String? = nil,
        password: String? = nil,
        timeoutSeconds: Int = 30
    ) {
        self.host = host
        self.port = port
        self.secure = secure
        self.startTLS = startTLS
        self.username = username
        self.password = password
        self.timeoutSeconds = timeoutSeconds
    }

    /// The libcurl URL of the server, with IPv6 literals bracketed.
    var url: String {
        let scheme = secure ? "smtps" : "smtp"
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart):\(port)"
    }

    /// libcurl's CURLOPT_USE_SSL level for these settings.
    var tlsRequirement: curl_usessl {
        if secure { return CURLUSESSL_ALL }
        switch startTLS {
        case .off: return CURLUSESSL_NONE
        case .opportunistic: return CURLUSESSL_TRY
        case .required: return CURLUSESSL_ALL
        }
    }
}
