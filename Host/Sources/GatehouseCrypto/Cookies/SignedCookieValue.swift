import Crypto
import Foundation

/// The signed-cookie format shared with Better Auth (better-call):
/// `encodeURIComponent(value + "." + base64(HMAC-SHA256(secret, value)))`.
public struct CookieSigner: Sendable {
    /// HMAC state with the key already absorbed; copying it skips key setup on every request.
    private let keyed: HMAC<SHA256>

    public init(secret: String) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.utf8)))
    }

    /// The signature alone: standard base64 with padding, always 44 characters.
    public func signature(of value: String) -> String {
        var mac = keyed
        mac.update(data: Array(value.utf8))
        return Base64.standard(mac.finalize())
    }

    /// The raw `value.signature` string before URL-encoding (what the bearer header carries).
    public func signedValue(_ value: String) -> String {
        value + "." + signature(of: value)
    }

    /// The cookie value as it goes on the wire, URL-encoded like `encodeURIComponent`.
    public func sign(_ value: String) -> String {
        URIComponent.encode(signedValue(value))
    }

    /// The signed value if the cookie is genuine; nil for anything malformed or forged.
    public func verify(_ cookieValue: String) -> String? {
        let decoded = URIComponent.decode(cookieValue) ?? cookieValue
        guard let dot = decoded.lastIndex(of: ".") else { return nil }
        let value = String(decoded[..<dot])
        let signature = String(decoded[decoded.index(after: dot)...])
        guard !value.isEmpty, signature.utf8.count == 44, signature.hasSuffix("=") else { return nil }
        // Comparing the canonical encoding (not decoded bytes) also rejects the unused low
        // bits of the last base64 digit being flipped.
        return ConstantTime.equals(self.signature(of: value), signature) ? value : nil
    }
}

/// `encodeURIComponent` / `decodeURIComponent` as JavaScript defines them.
public enum URIComponent {
    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()".utf8)

    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + Hex.encode([byte]).uppercased()
            }
        }
        return out
    }

    /// Percent-decodes UTF-8; nil for a malformed escape or invalid UTF-8.
    public static func decode(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var bytes = text.utf8.makeIterator()
        while let byte = bytes.next() {
            guard byte == UInt8(ascii: "%") else { out.append(byte); continue }
            guard let high = bytes.next(), let low = bytes.next(), let value = Hex.decode(String(decoding: [high, low], as: UTF8.self)) else {
                return nil
            }
            out += value
        }
        return String(validating: out, as: UTF8.self)
    }
}
