/// The `otpauth://totp/...` URI that authenticator apps scan (Key Uri Format), built the way
/// Better Auth builds it so both servers hand out the same URI for the same secret.
public enum OTPAuthURI {
    public static func totp(secret: [UInt8], issuer: String, account: String, digits: Int, period: Int) -> String {
        let label = encodeComponent(issuer) + ":" + encodeComponent(account)
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(encodeComponent(issuer))&digits=\(digits)&period=\(period)"
    }

    /// JavaScript's `encodeURIComponent`: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )` is
    /// percent-encoded as UTF-8.
    static func encodeComponent(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "~"),
                 UInt8(ascii: "*"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
            }
        }
        return out
    }
}
