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
/// The canonical form is handled by hand because every session lookup reads and writes
/// several of them; other ISO forms fall back to Foundation.
public enum ISOTimestamp {
    public static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let days = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
        let msOfDay = millis - days * 86_400_000
        let (year, month, day) = civil(fromDays: days)
        var out = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int64, _ width: Int, at offset: Int) {
            var v = value
            for i in stride(from: offset + width - 1, through: offset, by: -1) {
                out[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            }
        }
        put(year, 4, at: 0); put(month, 2, at: 5); put(day, 2, at: 8)
        put(msOfDay / 3_600_000, 2, at: 11); put(msOfDay / 60_000 % 60, 2, at: 14); put(msOfDay / 1000 % 60, 2, at: 17)
        put(msOfDay % 1000, 3, at: 20)
        for (offset, char) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z")] as [(Int, Unicode.Scalar)] {
            out[offset] = UInt8(ascii: char)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses ISO-8601 with or without fractional seconds, and SQLite's `YYYY-MM-DD HH:MM:SS`.
    public static func parse(_ text: String) -> Date? {
        if let fast = parseCanonical(text) { return fast }
        let normalized = text.replacingOccurrences(of: " ", with: "T")
        if let d = try? Date(normalized, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        if let d = try? Date(normalized, strategy: Date.ISO8601FormatStyle()) { return d }
        if let d = try? Date(normalized + "Z", strategy: Date.ISO8601FormatStyle()) { return d }
        return nil
    }

    /// `YYYY-MM-DDTHH:MM:SS.sssZ`, the only form Gatehouse writes.
    private static func parseCanonical(_ text: String) -> Date? {
        text.utf8.withContiguousStorageIfAvailable { b -> Date? in
            guard b.count == 24, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
                b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "."), b[23] == UInt8(ascii: "Z")
            else { return nil }
            func number(_ from: Int, _ count: Int) -> Int64? {
                var v: Int64 = 0
                for i in from..<(from + count) {
                    let d = b[i] &- UInt8(ascii: "0")
                    guard d < 10 else { return nil }
                    v = v * 10 + Int64(d)
                }
                return v
            }
            guard let y = number(0, 4), let mo = number(5, 2), let d = number(8, 2), let h = number(11, 2),
                let mi = number(14, 2), let s = number(17, 2), let ms = number(20, 3),
                (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61
            else { return nil }
            let days = daysFromCivil(y, mo, d)
            let millis = ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms
            return Date(timeIntervalSince1970: Double(millis) / 1000)
        } ?? nil
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
