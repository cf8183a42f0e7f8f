/// Serialisation that matches JavaScript's `JSON.stringify` (no whitespace,
/// integers without a fraction, `/` and non-ASCII left as they are).
extension JSONValue {
    public func serialized() -> String {
        String(decoding: serializedBytes(), as: UTF8.self)
    }

    public func serializedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .number(let n): out += JSONValue.format(n).utf8
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, value) in members {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSONValue.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// JavaScript's `Number.prototype.toString` (ECMA-262 Number::toString), which
    /// `JSON.stringify` uses: the shortest digits that round-trip, positional notation for
    /// decimal exponents in -6 < n <= 21 and `1.5e+300` style otherwise. Every finite double,
    /// however large, is formatted without converting it to an integer type.
    static func format(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == 0 { return "0" }
        // Below 2^53 every integer is exact and its digits are the shortest ones.
        if abs(n) < 9_007_199_254_740_992, let exact = Int64(exactly: n) { return String(exact) }
        let (digits, exponent) = shortestDigits(abs(n))
        let k = digits.count
        var out = n < 0 ? "-" : ""
        if k <= exponent, exponent <= 21 {
            out += digits + String(repeating: "0", count: exponent - k)
        } else if 0 < exponent, exponent <= 21 {
            out += String(digits.prefix(exponent)) + "." + String(digits.dropFirst(exponent))
        } else if -6 < exponent, exponent <= 0 {
            out += "0." + String(repeating: "0", count: -exponent) + digits
        } else {
            let e = exponent - 1
            out += String(digits.prefix(1)) + (k > 1 ? "." + String(digits.dropFirst()) : "") + "e" + (e < 0 ? "-" : "+") + String(abs(e))
        }
        return out
    }

    /// The shortest round-trip decimal digits of a positive finite `value` (no leading or
    /// trailing zeros) and the exponent `n` such that value = 0.digits × 10^n, read from
    /// Swift's own shortest representation.
    private static func shortestDigits(_ value: Double) -> (digits: String, exponent: Int) {
        let text = value.description
        let parts = text.split(separator: "e", maxSplits: 1)
        let power = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var digits = Substring(mantissa[0] + (mantissa.count == 2 ? mantissa[1] : ""))
        var point = mantissa[0].count
        while digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.last == "0" { digits.removeLast() }
        return (String(digits), point + power)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Escapes `"`, `\` and control characters; every other byte, UTF-8 included, is copied.
    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings (ids, dates, names) need no escaping: copy them whole. Scanning their
        // contiguous UTF-8 storage (native strings have one) is much faster than the UTF-8 view.
        func needsEscape(_ byte: UInt8) -> Bool { byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") }
        let clean = s.utf8.withContiguousStorageIfAvailable { !$0.contains(where: needsEscape) } ?? !s.utf8.contains(where: needsEscape)
        if clean {
            out += s.utf8
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0..<0x20:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
