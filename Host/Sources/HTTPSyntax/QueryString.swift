import Foundation
import OrderedCollections

/// `a=1&b=two` with `+` as space and percent-decoding; the first value of a repeated key wins.
/// Query strings and `application/x-www-form-urlencoded` bodies alike.
public enum QueryString {
    public static func parse(_ text: String) -> OrderedDictionary<String, String> {
        var out = OrderedDictionary<String, String>()
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0])
            guard !key.isEmpty, out[key] == nil else { continue }
            out[key] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }

    private static func decode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
