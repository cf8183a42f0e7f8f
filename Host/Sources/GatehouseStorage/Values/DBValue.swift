import Foundation
import GatehouseJSON

/// A field value as the adapter sees it, before a dialect turns it into a column value.
public enum DBValue: Sendable, Equatable {
    case null
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case date(Date)
    case json(JSONValue)

    /// A JSON number as a field value: an integer when it is one exactly within 64 bits,
    /// otherwise the double itself (never a trapping conversion).
    public static func number(_ value: Double) -> DBValue {
        Int64(exactly: value).map(DBValue.int) ?? .double(value)
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var bool: Bool? {
        switch self {
        case .bool(let b): b
        case .int(let i): i != 0
        default: nil
        }
    }

    public var int: Int64? {
        switch self {
        case .int(let i): i
        case .double(let d): Int64(exactly: d)
        default: nil
        }
    }

    public var date: Date? {
        if case .date(let d) = self { return d }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// The value as Better Auth's JSON output shows it (dates as ISO-8601 with milliseconds).
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .string(let s): .string(s)
        case .int(let i): .number(Double(i))
        case .double(let d): .number(d)
        case .bool(let b): .bool(b)
        case .date(let d): .string(ISOTimestamp.format(d))
        case .json(let j): j
        }
    }
}

/// ISO-8601 timestamps exactly as JavaScript's `Date.prototype.toISOString` writes them.
/// Every session lookup reads and writes several of them, so both directions are by hand.
public enum ISOTimestamp {
    /// JavaScript dates span ±8.64e15 ms around 1970; a date beyond that (or NaN) is clamped
    /// to the limit rather than trapping in an integer conversion.
    public static func format(_ date: Date) -> String {
        let raw = (date.timeIntervalSince1970 * 1000).rounded(.down)
        let millis = raw.isNaN ? 0 : Int64(min(max(raw, -8.64e15), 8.64e15))
        let days = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
        let msOfDay = millis - days * 86_400_000
        let (year, month, day) = civil(fromDays: days)
        // "-MM-DDTHH:MM:SS.sssZ" after the year.
        var out = [UInt8](repeating: 0, count: 20)
        func put(_ value: Int64, _ width: Int, at offset: Int) {
            var v = value
            for i in stride(from: offset + width - 1, through: offset, by: -1) {
                out[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            }
        }
        put(month, 2, at: 1); put(day, 2, at: 4)
        put(msOfDay / 3_600_000, 2, at: 7); put(msOfDay / 60_000 % 60, 2, at: 10); put(msOfDay / 1000 % 60, 2, at: 13)
        put(msOfDay % 1000, 3, at: 16)
        for (offset, char) in [(0, "-"), (3, "-"), (6, "T"), (9, ":"), (12, ":"), (15, "."), (19, "Z")] as [(Int, Unicode.Scalar)] {
            out[offset] = UInt8(ascii: char)
        }
        return yearText(year) + String(decoding: out, as: UTF8.self)
    }

    /// Four digits, or JavaScript's expanded `±YYYYYY` outside 0000–9999.
    private static func yearText(_ year: Int64) -> String {
        func padded(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        if (0...9999).contains(year) { return padded(year, 4) }
        return (year < 0 ? "-" : "+") + padded(abs(year), 6)
    }

    /// Parses `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM[:SS[.fraction]]` and
    /// `Z` or an offset; a time without a zone is UTC (SQLite's `CURRENT_TIMESTAMP` and the
    /// `YYYY-MM-DD HH:MM:SS.ffffff` some Better Auth servers write). Anything else is nil.
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8(parse)
    }

    private static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Date? {
        var i = 0
        func number(_ count: Int) -> Int64? {
            guard i + count <= b.count else { return nil }
            var v: Int64 = 0
            for _ in 0..<count {
                let d = b[i] &- UInt8(ascii: "0")
                guard d < 10 else { return nil }
                v = v * 10 + Int64(d)
                i += 1
            }
            return v
        }
        func skip(_ char: Unicode.Scalar) -> Bool {
            guard i < b.count, b[i] == UInt8(ascii: char) else { return false }
            i += 1
            return true
        }
        guard let y = number(4), skip("-"), let mo = number(2), skip("-"), let d = number(2),
            (1...12).contains(mo), (1...31).contains(d)
        else { return nil }
        var millis = daysFromCivil(y, mo, d) * 86_400_000
        func date() -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
        guard i < b.count else { return date() }
        guard skip("T") || skip(" "), let h = number(2), skip(":"), let mi = number(2), h < 24, mi < 60 else { return nil }
        millis += (h * 60 + mi) * 60_000
        if skip(":") {
            guard let s = number(2), s < 61 else { return nil }
            millis += s * 1000
            if skip(".") || skip(",") {
                // JavaScript keeps milliseconds: the first three digits count, the rest are cut.
                var fraction: Int64 = 0, count = 0
                while i < b.count, b[i] &- UInt8(ascii: "0") < 10 {
                    if count < 3 { fraction = fraction * 10 + Int64(b[i] - UInt8(ascii: "0")) }
                    count += 1
                    i += 1
                }
                guard count > 0 else { return nil }
                for _ in count..<max(count, 3) { fraction *= 10 }
                millis += fraction
            }
        }
        if i == b.count { return date() }
        if skip("Z") || skip("z") { return i == b.count ? date() : nil }
        let sign: Int64 = skip("+") ? 1 : (skip("-") ? -1 : 0)
        guard sign != 0, let oh = number(2), oh < 24 else { return nil }
        _ = skip(":")
        let om = i < b.count ? number(2) : 0
        guard let om, om < 60, i == b.count else { return nil }
        millis -= sign * (oh * 60 + om) * 60_000
        return date()
    }

    /// Howard Hinnant's days-from-civil: proleptic Gregorian date → days since 1970-01-01.
    private static func daysFromCivil(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y - 1 : y
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays z: Int64) -> (Int64, Int64, Int64) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }
}

extension DBValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
}
