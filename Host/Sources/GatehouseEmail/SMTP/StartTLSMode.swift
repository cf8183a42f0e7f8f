/// Whether a plain SMTP connection upgrades to TLS with STARTTLS.
public enum StartTLSMode: String, Sendable, CaseIterable {
    /// Never upgrade; the session stays in clear text.
    case off
    /// Upgrade when the server offers STARTTLS, otherwise continue in clear text.
    case opportunistic
    /// Upgrade or fail; the message is never sent in clear text.
    case required
}
