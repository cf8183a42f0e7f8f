import PluginKit

/// The console's check of every POST: its `Origin` (or, without one, its `Referer`) must be the
/// exact origin of the server's `baseURL`. Stricter than the host's trusted origins and than
/// SameSite: another port or subdomain of the same site is another origin and is refused.
struct OriginGuard: Sendable {
    /// `scheme://host[:port]` of the baseURL, lower-case, without a default port; nil when the
    /// baseURL has no origin (then every POST is refused).
    let expected: String?

    init(baseURL: String) {
        expected = URLText.origin(of: baseURL).flatMap(Self.normalized)
    }

    /// Whether the request comes from a page of the console's own origin.
    func allows(_ call: PluginCall) -> Bool {
        guard let expected else { return false }
        let source: String?
        if let origin = call.header("origin") {
            source = origin
        } else if let referer = call.header("referer") {
            source = URLText.origin(of: referer)
        } else {
            source = nil
        }
        guard let source, let origin = Self.normalized(source) else { return false }
        return origin == expected
    }

    /// An origin as browsers serialize it: lower-case scheme and host, no user info, no default
    /// port, nothing after the authority. Nil for `null`, several origins or anything malformed.
    static func normalized(_ text: String) -> String? {
        guard let separator = text.range(of: "://") else { return nil }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        var authority = Substring(text[separator.upperBound...])
        if let end = authority.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            // An Origin header never has a path; a Referer's was cut by URLText.origin already.
            guard authority[end...] == "/" else { return nil }
            authority = authority[..<end]
        }
        guard !authority.isEmpty, !authority.contains("@"), !authority.contains(" "), !authority.contains(",") else { return nil }
        var host = authority
        var port: Substring?
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty else { return nil }
        if let digits = port {
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = Int(digits), (0...65_535).contains(number) else { return nil }
            let isDefault = (scheme == "http" && number == 80) || (scheme == "https" && number == 443)
            port = isDefault ? nil : Substring(String(number))
        }
        return scheme + "://" + host.lowercased() + (port.map { ":" + $0 } ?? "")
    }
}
