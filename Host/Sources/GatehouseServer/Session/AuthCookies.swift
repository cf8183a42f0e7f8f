import Foundation

/// Names and attributes of Gatehouse's cookies, as Better Auth's `createCookieGetter` makes them:
/// `<prefix>.<name>`, `__Secure-` in front on https, `HttpOnly; Path=/; SameSite=Lax`.
public struct AuthCookies: Sendable {
    public let prefix: String
    public let secure: Bool

    public init(prefix: String, secure: Bool) {
        self.prefix = prefix
        self.secure = secure
    }

    public func name(_ base: String) -> String {
        (secure ? "__Secure-" : "") + prefix + "." + base
    }

    public var sessionToken: String { name("session_token") }
    public var sessionData: String { name("session_data") }
    public var dontRemember: String { name("dont_remember") }

    /// A `Set-Cookie` value. `maxAge` nil makes a browser-session cookie.
    public func setCookie(_ name: String, _ value: String, maxAge: Int?, httpOnly: Bool = true, sameSite: String = "Lax", path: String = "/") -> String {
        var parts = ["\(name)=\(value)"]
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        parts.append("Path=\(path)")
        if httpOnly { parts.append("HttpOnly") }
        if secure { parts.append("Secure") }
        parts.append("SameSite=\(sameSite)")
        return parts.joined(separator: "; ")
    }

    /// Deletes a cookie: empty value, `Max-Age=0`, on the path it was set for.
    public func expire(_ name: String, path: String = "/") -> String {
        setCookie(name, "", maxAge: 0, path: path)
    }

    /// A path a plugin may give its cookie (ABI 1.10): absolute, and only characters that cannot
    /// end the attribute or start another (RFC 6265 §4.1.1's path-value, without `;` or `,`).
    public static func isCookiePath(_ path: String) -> Bool {
        path.hasPrefix("/") && path.utf8.count <= 1024
            && path.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && $0 != ";" && $0 != "," && $0 != "\\" }
    }
}
