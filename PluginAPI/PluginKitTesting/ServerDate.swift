import Foundation

/// Dates as the server writes them in rows and answers: JavaScript's `toISOString`, with
/// milliseconds and `Z` (`2026-11-23T01:26:20.687Z`).
enum ServerDate {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
