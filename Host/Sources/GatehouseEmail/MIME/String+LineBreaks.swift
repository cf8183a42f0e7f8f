import Foundation

extension String {
    /// The text with CRLF and lone CR line breaks turned into LF.
    func replacingLineBreaks() -> String {
        var result = ""
        result.reserveCapacity(utf8.count)
        var previousWasCR = false
        for scalar in unicodeScalars {
            if scalar == "\r" {
                result.unicodeScalars.append("\n")
                previousWasCR = true
                continue
            }
            if !(scalar == "\n" && previousWasCR) { result.unicodeScalars.append(scalar) }
            previousWasCR = false
        }
        return result
    }

    /// The text on one line, as a header needs: control characters become spaces, outer spaces go.
    var singleLine: String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0.isControl ? " " : $0 }))
            .trimmingCharacters(in: .whitespaces)
    }
}
