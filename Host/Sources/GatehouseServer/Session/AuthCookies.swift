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
    public func setCookie(_ name: String, _ value: String, maxAge: Int?, httpOnly: Bool = true, sameSite: String = "Lax") -> String {
        var parts = ["\(name)=\(value)"]
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        parts.append("Path=/")
        if httpOnly { parts.append("HttpOnly") }
        if secure { parts.append("Secure") }
        parts.append("SameSite=\(sameSite)")
        return parts.joined(separator: "; ")
    }

    /// Deletes a cookie: empty value, `Max-Age=0`.
    public func expire(_ name: String) -> String {
        setCookie(name, "", maxAge: 0)
    }
}

/// Parses `Cookie` request headers into name → value (first occurrence wins). Byte-level,
/// since every authenticated request does this.
enum CookieHeader {
    static func parse(_ headers: [String]) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in headers {
            for pair in header.utf8.split(separator: UInt8(ascii: ";")) {
                guard let eq = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
                let name = trimmed(pair[..<eq])
                var value = trimmed(pair[pair.index(after: eq)...])
                if value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") {
                    value = value.dropFirst().dropLast()
                }
                let key = String(decoding: name, as: UTF8.self)
                if !key.isEmpty, cookies[key] == nil { cookies[key] = String(decoding: value, as: UTF8.self) }
            }
        }
        return cookies
    }

    private static func trimmed(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        var slice = bytes
        while let first = slice.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { slice = slice.dropFirst() }
        while let last = slice.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { slice = slice.dropLast() }
        return slice
    }
}
