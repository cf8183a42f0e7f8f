/// Quoted-printable body encoding (RFC 2045) with CRLF line ends and lines of at most 76 characters.
enum QuotedPrintable {
    private static let maxLineContent = 75
    private static let hexDigits = Array("0123456789ABCDEF")

    /// Encodes `text` as UTF-8 quoted-printable, normalising every line break to CRLF.
    static func encode(_ text: String) -> String {
        let normalized = text.replacingLineBreaks()
        return normalized.split(separator: "\n", omittingEmptySubsequences: false)
            .map { encodeLine(Array($0.utf8)) }
            .joined(separator: "\r\n")
    }

    private static func encodeLine(_ bytes: [UInt8]) -> String {
        var output = ""
        var lineLength = 0
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            var token = self.token(for: byte, atLineStart: lineLength == 0, isLast: isLast)
            if lineLength + token.count > maxLineContent {
                output += "=\r\n"
                lineLength = 0
                token = self.token(for: byte, atLineStart: true, isLast: isLast)
            }
            output += token
            lineLength += token.count
        }
        return output
    }

    /// The byte itself when safe, else `=XX`; trailing blanks and a leading dot (SMTP's end marker) are encoded.
    private static func token(for byte: UInt8, atLineStart: Bool, isLast: Bool) -> String {
        let isBlank = byte == 0x20 || byte == 0x09
        let isLiteral = (0x21...0x7E).contains(byte) && byte != UInt8(ascii: "=")
        if (isBlank && !isLast) || (isLiteral && !(atLineStart && byte == UInt8(ascii: "."))) {
            return String(UnicodeScalar(byte))
        }
        return "=" + String(hexDigits[Int(byte >> 4)]) + String(hexDigits[Int(byte & 0x0F)])
    }
}
