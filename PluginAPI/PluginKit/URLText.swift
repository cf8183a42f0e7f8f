import Foundation

/// URLs written the way Better Auth's WHATWG `URL` and `URLSearchParams` write them, without
/// ever turning a value into a different target than the one the host checked.
public enum URLText {
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// `application/x-www-form-urlencoded`, as `URLSearchParams` serializes a name or a value:
    /// letters, digits and `*-._` stay, a space becomes `+`, every other UTF-8 byte is `%XX`.
    public static func formEncode(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A query string as `URLSearchParams` writes one: `name=value` pairs, form-encoded, joined by `&`.
    public static func formEncode(_ pairs: [(name: String, value: String)]) -> String {
        pairs.map { formEncode($0.name) + "=" + formEncode($0.value) }.joined(separator: "&")
    }

    /// The pairs of a query string (without `?`), decoded and in order, as `URLSearchParams` reads them.
    public static func formDecodePairs(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (formDecode(parts[0]), parts.count > 1 ? formDecode(parts[1]) : "")
        }
    }

    /// The inverse of `formEncode` for one name or value (`+` is a space); malformed escapes stay.
    public static func formDecode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// `scheme://authority` of an absolute URL, as given; nil when it has none.
    public static func origin(of url: String) -> String? {
        guard let separator = url.range(of: "://"), url[..<separator.lowerBound].allSatisfy(isSchemeCharacter),
              !url[..<separator.lowerBound].isEmpty
        else { return nil }
        let rest = url[separator.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        guard end > rest.startIndex else { return nil }
        return String(url[..<end])
    }

    /// A redirect target as Better Auth's `new URL(value, baseURL)` resolves it: a path (the only
    /// relative form the host lets through) joins the base URL's origin; an absolute http(s) URL
    /// gets the `/` path it implies. Nil for anything else, which the host never lets through.
    public static func resolve(_ value: String?, origin: String) -> String? {
        guard let value, !value.isEmpty else { return nil }
        if value.hasPrefix("/") {
            // The host refuses `//host` and `/\host`; a path always stays on our origin anyway.
            guard !value.hasPrefix("//"), !value.contains("\\") else { return nil }
            return escapingUnsafe(origin + value)
        }
        guard let authority = Self.origin(of: value) else { return nil }
        let afterAuthority = value.dropFirst(authority.count)
        let lowered = authority.lowercased()
        let web = lowered.hasPrefix("http://") || lowered.hasPrefix("https://")
        return escapingUnsafe(web && !afterAuthority.hasPrefix("/") ? authority + "/" + afterAuthority : value)
    }

    /// Sets query parameter `name` as `URLSearchParams.set` does: the first pair with that name
    /// takes the value and later ones go; without one, the pair is appended. The fragment stays.
    public static func setting(_ name: String, to value: String, in url: String) -> String {
        var rest = Substring(url)
        var fragment: Substring = ""
        if let hash = rest.firstIndex(of: "#") {
            fragment = rest[hash...]
            rest = rest[..<hash]
        }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        let pair = formEncode(name) + "=" + formEncode(value)
        var pairs = query.split(separator: "&").map(String.init)
        let named = { (pair: String) in formDecode(pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]) == name }
        if let first = pairs.firstIndex(where: named) {
            pairs = pairs.enumerated().compactMap { index, existing in
                index == first ? pair : named(existing) ? nil : existing
            }
        } else {
            pairs.append(pair)
        }
        return rest + "?" + pairs.joined(separator: "&") + fragment
    }

    /// Percent-encodes what may not stand raw in a URL or a `Location` header (controls, space,
    /// `"<>\^`{|}` and non-ASCII bytes), so no client reads the target differently. Existing
    /// `%XX` escapes stay as they are.
    public static func escapingUnsafe(_ url: String) -> String {
        let unsafe = Set("\"<>\\^`{|}".utf8)
        guard url.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F || unsafe.contains($0) }) else { return url }
        var out: [UInt8] = []
        for byte in url.utf8 {
            if byte <= 0x20 || byte >= 0x7F || unsafe.contains(byte) {
                out += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isSchemeCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "+" || character == "-" || character == ".")
    }
}
