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
public enum ISOTimestamp {
    public static func format(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = millis / 1000
        var ms = millis % 1000
        if ms < 0 { ms += 1000; seconds -= 1 }
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(ms))
    }

    /// Parses ISO-8601 with or without fractional seconds, and SQLite's `YYYY-MM-DD HH:MM:SS`.
    public static func parse(_ text: String) -> Date? {
        let normalized = text.replacingOccurrences(of: " ", with: "T")
        if let d = try? Date(normalized, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        if let d = try? Date(normalized, strategy: Date.ISO8601FormatStyle()) { return d }
        if let d = try? Date(normalized + "Z", strategy: Date.ISO8601FormatStyle()) { return d }
        return nil
    }
}

extension DBValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
}
