import Foundation

/// Dates in the RFC 5322 header form, such as `Tue, 05 Mar 2024 12:34:56 +0000`.
enum RFC5322Date {
    /// The header value for `date`, in UTC.
    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss xx"
        return formatter.string(from: date)
    }
}
