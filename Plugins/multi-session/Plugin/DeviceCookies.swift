import GatehouseJSON
import PluginKit

/// The browser's device-session cookies: `<session cookie>_multi-<lower-case token>`, one per
/// account the browser holds, each the session's token signed with the server secret.
struct DeviceCookies: Sendable {
    /// One such cookie of the request.
    struct Cookie: Sendable {
        /// The name as answers' `cookies` take it (`session_token_multi-<token>`).
        let baseName: String
        /// The session token it carries, nil when its signature does not hold.
        let token: String?
    }

    let host: PluginHost
    /// The full name every device cookie starts with, `better-auth.session_token_multi-` (with
    /// `__Secure-` and the operator's prefix as the session cookie has them).
    let fullPrefix: String

    /// What every device cookie's base name starts with.
    private static let basePrefix = "session_token_multi-"

    init(host: PluginHost) {
        self.host = host
        fullPrefix = host.cookieName(Self.basePrefix)
    }

    /// The base name of the cookie that holds `token`.
    static func baseName(for token: String) -> String { basePrefix + token.lowercased() }

    /// The request's device cookies, in the order it sends them (the first of a repeated name).
    func all(in call: PluginCall) -> [Cookie] {
        var seen = Set<String>()
        var cookies: [Cookie] = []
        for pair in (call.header("cookie") ?? "").split(separator: ";") {
            let trimmed = pair.drop { $0 == " " }
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            let name = String(trimmed[..<equals])
            guard name.hasPrefix(fullPrefix), seen.insert(name).inserted else { continue }
            let suffix = name.dropFirst(fullPrefix.count)
            // Session tokens are letters and digits; any other name is not one of these cookies.
            guard !suffix.isEmpty, suffix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { continue }
            let value = String(trimmed[trimmed.index(after: equals)...])
            cookies.append(Cookie(baseName: Self.basePrefix + suffix, token: host.verify(value)))
        }
        return cookies
    }

    /// The base names of the session cookies a browser with no account left loses: the token,
    /// the cookie cache and the chunks it was split into (as the request sends them), `dont_remember`.
    func sessionCookies(in call: PluginCall) -> [String] {
        let chunkPrefix = host.cookieName("session_data") + "."
        let chunks = (call.header("cookie") ?? "").split(separator: ";").compactMap { pair -> String? in
            let name = pair.drop { $0 == " " }.prefix { $0 != "=" }
            let index = name.dropFirst(chunkPrefix.count)
            guard name.hasPrefix(chunkPrefix), !index.isEmpty, index.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return "session_data." + index
        }
        return ["session_token", "session_data", "dont_remember"] + chunks
    }

    /// The request's cookie for the `requested` token, with the token it proves. The signed
    /// value, not the name, is what counts: a genuine cookie renamed after another token proves
    /// nothing about that one.
    func cookie(for requested: String, in call: PluginCall) -> (cookie: Cookie, token: String)? {
        let baseName = Self.baseName(for: requested)
        guard let cookie = all(in: call).first(where: { $0.baseName == baseName }), let token = cookie.token,
              token.lowercased() == requested.lowercased()
        else { return nil }
        return (cookie, token)
    }
}
