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
