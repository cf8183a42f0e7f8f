import Foundation

/// The origins Gatehouse trusts for the origin check and for callback URLs: the base URL's
/// origin plus `trustedOrigins` (with `*` wildcards and custom schemes such as `myapp://`).
public struct TrustedOrigins: Sendable {
    public let patterns: [String]

    init(baseURL: String, configured: [String], includeLoopback: Bool, port: Int) {
        var patterns = [Self.origin(of: baseURL) ?? baseURL]
        if includeLoopback {
            // With no baseURL configured the server may be reached by either loopback name.
            patterns += ["http://localhost:\(port)", "http://127.0.0.1:\(port)"]
        }
        // A trailing slash is dropped, except the one of a host-less app scheme (`myapp://`).
        patterns += configured.map { $0.hasSuffix("/") && !$0.hasSuffix("://") ? String($0.dropLast()) : $0 }
        self.patterns = patterns
    }

    /// `scheme://host[:port]` of an absolute URL, lower-cased; nil if it is not one.
    public static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased(), !host.isEmpty, components.user == nil, components.password == nil
        else { return nil }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    public func isTrusted(origin: String) -> Bool {
        guard let normalized = Self.origin(of: origin) else { return false }
        return patterns.contains { Self.matches(normalized, pattern: $0) }
    }

    /// Whether a callback or redirect URL may be used: a same-site relative path, or an
    /// absolute URL on a trusted origin. `//evil.com`, `javascript:` and `user@host` tricks fail.
    public func isAllowedRedirect(_ url: String) -> Bool {
        if url.hasPrefix("/") {
            return !url.hasPrefix("//") && !url.hasPrefix("/\\") && !url.contains("\\")
                && !url.unicodeScalars.contains(where: { $0.value < 0x20 })
        }
        guard let origin = Self.origin(of: url), let scheme = URLComponents(string: url)?.scheme?.lowercased(),
            !["javascript", "data", "vbscript", "file"].contains(scheme)
        else { return false }
        return patterns.contains { Self.matches(origin, pattern: $0) }
    }

    static func matches(_ origin: String, pattern: String) -> Bool {
        let pattern = pattern.lowercased()
        if pattern.hasSuffix("://"), !["http://", "https://"].contains(pattern) {
            // A host-less app scheme trusts every host of the scheme, as in Better Auth: the
            // scheme the OS registered for the app is the trust boundary.
            return origin.hasPrefix(pattern)
        }
        if !pattern.contains("*") { return origin == (Self.origin(of: pattern) ?? pattern) }
        // A wildcard pattern: `*` stands for any run of characters inside the host.
        var regex = "^"
        for char in pattern {
            if char == "*" { regex += "[^/]*" } else { regex += NSRegularExpression.escapedPattern(for: String(char)) }
        }
        regex += "$"
        if !pattern.contains("://") { regex = "^[a-z][a-z0-9+.-]*://" + regex.dropFirst() }
        return origin.range(of: regex, options: .regularExpression) != nil
    }
}
