import PluginKit

/// The console's URLs below the server's base path: `{basePath}/console`, the cookie's path and
/// the prefix of every link, form action and redirect.
struct ConsolePaths: Sendable {
    let root: String

    init(basePath: String) {
        var base = basePath
        while base.hasSuffix("/") { base.removeLast() }
        root = base + "/console"
    }

    /// The dashboard, `{root}/`.
    var home: String { root + "/" }
    var signIn: String { root + "/sign-in" }
    /// The sign-in page saying "You are signed out.", after a session ends.
    var signedOut: String { Self.withQuery(signIn, [("signedOut", "1")]) }

    /// `{root}/a/b/…`, each segment percent-encoded (ids may hold any character).
    func page(_ segments: String...) -> String {
        root + segments.map { "/" + Self.encodeSegment($0) }.joined()
    }

    /// `path?name=value&…` with the empty values left out, form-encoded.
    static func withQuery(_ path: String, _ pairs: [(String, String)]) -> String {
        let kept = pairs.filter { !$0.1.isEmpty }
        guard !kept.isEmpty else { return path }
        return path + "?" + kept.map { URLText.formEncode($0.0) + "=" + URLText.formEncode($0.1) }.joined(separator: "&")
    }

    /// A path segment: RFC 3986 unreserved characters stay, every other UTF-8 byte is `%XX`.
    static func encodeSegment(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        let encoded = String(decoding: out, as: UTF8.self)
        // `.` and `..` alone would be resolved away by the browser.
        return encoded == "." ? "%2E" : encoded == ".." ? "%2E%2E" : encoded
    }
}
