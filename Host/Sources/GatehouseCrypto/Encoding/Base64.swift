import Foundation

/// Base64 in the two alphabets Better Auth uses: standard with padding (cookie
/// signatures) and URL-safe without padding (tokens, cookie cache).
public enum Base64 {
    public static func standard<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        Data(bytes).base64EncodedString()
    }

    public static func url<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        standard(bytes).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes either alphabet, with or without padding.
    public static func decode(_ text: String) -> [UInt8]? {
        var normalized = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = normalized.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { normalized += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: normalized).map(Array.init)
    }
}
