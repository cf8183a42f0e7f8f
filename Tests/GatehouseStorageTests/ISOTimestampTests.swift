import Foundation
import GatehouseStorage
import Testing

@Suite struct ISOTimestampTests {
    @Test func formatsLikeJavaScript() {
        #expect(ISOTimestamp.format(Date(timeIntervalSince1970: 1_735_689_600.123)) == "2025-01-01T00:00:00.123Z")
        #expect(ISOTimestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }

    @Test func parsesCommonForms() {
        let expected = Date(timeIntervalSince1970: 1_735_689_600)
        #expect(ISOTimestamp.parse("2025-01-01T00:00:00.000Z") == expected)
        #expect(ISOTimestamp.parse("2025-01-01T00:00:00Z") == expected)
        #expect(ISOTimestamp.parse("2025-01-01 00:00:00") == expected)
        #expect(ISOTimestamp.parse("yesterday") == nil)
    }
}

@Suite struct ISOTimestampFormsTests {
    @Test(arguments: [
        ("2025-01-01 00:00:00.123456", 1_735_689_600.123), ("2025-01-01T00:00:00.1Z", 1_735_689_600.1),
        ("2025-01-01T02:00:00+02:00", 1_735_689_600), ("2025-01-01T00:00:00.999999999Z", 1_735_689_600.999),
        ("2025-01-01", 1_735_689_600), ("2025-01-01 00:00", 1_735_689_600), ("2024-12-31T19:00:00-0500", 1_735_689_600),
    ])
    func parsesTheFormsBetterAuthServersWrite(_ text: String, _ seconds: Double) {
        #expect(ISOTimestamp.parse(text) == Date(timeIntervalSince1970: seconds))
    }

    @Test(arguments: ["2025-13-01", "2025-01-01 25:00:00", "2025-01-01T00:00:00.Z", "2025-01-01T00:00:00Zjunk", "2025-01-01x"])
    func refusesMalformedTimestamps(_ text: String) {
        #expect(ISOTimestamp.parse(text) == nil)
    }

    /// Dates far outside 0000–9999 (a client's `expiresAt: 1e300`) format as JavaScript does, clamped to its range.
    @Test func extremeDatesFormatWithoutTrapping() {
        #expect(ISOTimestamp.format(Date(timeIntervalSince1970: 1e300)) == "+275760-09-13T00:00:00.000Z")
        #expect(ISOTimestamp.format(Date(timeIntervalSince1970: -1e300)) == "-271821-04-20T00:00:00.000Z")
        #expect(ISOTimestamp.format(Date(timeIntervalSince1970: .nan)) == "1970-01-01T00:00:00.000Z")
    }
}
