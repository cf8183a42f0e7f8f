import Foundation

/// RFC 2047 encoded words (`=?UTF-8?B?...?=`) for header text that is not plain ASCII.
enum EncodedWord {
    /// The longest UTF-8 run per word: 45 bytes encode to 60 base64 characters, keeping each word within 75.
    private static let bytesPerWord = 45

    /// A header value for `text`: unchanged when short plain ASCII, otherwise encoded words folded onto lines.
    static func headerValue(_ text: String) -> String {
        let isPlain = text.unicodeScalars.allSatisfy(\.isPrintableASCII) && !text.contains("=?") && text.utf8.count <= 900
        return isPlain ? text : encode(text).joined(separator: "\r\n ")
    }

    /// The encoded words for `text`, split only between Unicode scalars.
    static func encode(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > bytesPerWord {
                words.append(word(chunk))
                chunk.removeAll(keepingCapacity: true)
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(word(chunk)) }
        return words
    }

    private static func word(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }
}
