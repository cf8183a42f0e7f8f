import Foundation
@testable import PasswordScreening
import Testing

struct PasswordBlocklistTests {
    @Test func theBuiltInListHoldsTheTenThousandMostCommonPasswords() {
        #expect(PasswordBlocklist.common.count == 10_000)
        for password in ["123456", "password", "iloveyou", "trustno1", "qwertyuiop"] {
            #expect(PasswordBlocklist.common.contains(password), "\(password)")
        }
        #expect(!PasswordBlocklist.common.contains("correct-horse-battery"))
    }

    /// Compared after NFKC and case folding: capitals, full-width forms and ligatures are the same entry.
    @Test func comparisonIgnoresCaseAndCompatibilityForms() {
        #expect(PasswordBlocklist.common.contains("PassWord"))
        #expect(PasswordBlocklist.common.contains("ｐａｓｓｗｏｒｄ１２３"))
        let list = PasswordBlocklist(lines: "Straße-Winter\r\nﬁnance-2026\n\n")
        #expect(list.count == 2)
        #expect(list.contains("STRASSE-winter") && list.contains("finance-2026") && list.contains("FINANCE-2026"))
        #expect(!list.contains(""))
    }

    @Test func anOperatorsFileIsReadAsOnePasswordPerLine() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("blocklist-\(UUID().uuidString).txt")
        try Data("company-name-2026\nSeasonal-Password\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let list = try PasswordBlocklist(file: file.path)
        #expect(list.contains("Company-Name-2026") && list.contains("seasonal-password") && !list.contains("company-name"))
        #expect(throws: BlocklistFileError.self) { try PasswordBlocklist(file: file.path + ".missing") }
        try Data([0xFF, 0xFE, 0x00]).write(to: file)
        #expect(throws: BlocklistFileError.self) { try PasswordBlocklist(file: file.path) }
    }
}

struct PwnedPasswordsRangeTests {
    // SHA-1("password") = 5BAA6 1E4C9B93F3F0682250B6CF8331B7EE68FD8, as the API's own documentation shows.
    let suffix: Substring = "1E4C9B93F3F0682250B6CF8331B7EE68FD8"

    @Test func aListedSuffixWithACountIsAMatch() {
        #expect(PwnedPasswordsRange.lists(suffix, in: "003D68EB55068C33ACE09247EE4C639306B:3\r\n1E4C9B93F3F0682250B6CF8331B7EE68FD8:10434004\r\n"))
        #expect(PwnedPasswordsRange.lists(suffix, in: "1e4c9b93f3f0682250b6cf8331b7ee68fd8:2"))
    }

    /// `Add-Padding: true` adds fake suffixes with count 0; those are not matches.
    @Test func paddingAndOtherSuffixesAreNot() {
        #expect(!PwnedPasswordsRange.lists(suffix, in: "1E4C9B93F3F0682250B6CF8331B7EE68FD8:0\r\n"))
        #expect(!PwnedPasswordsRange.lists(suffix, in: "003D68EB55068C33ACE09247EE4C639306B:3\r\n"))
        #expect(!PwnedPasswordsRange.lists(suffix, in: "1E4C9B93F3F0682250B6CF8331B7EE68FD8\r\n:5\r\n"))
        #expect(!PwnedPasswordsRange.lists(suffix, in: ""))
    }

    @Test func theBaseURLLosesATrailingSlash() {
        #expect(PwnedPasswordsRange(apiBaseURL: "http://127.0.0.1:9/").apiBaseURL == "http://127.0.0.1:9")
        #expect(PwnedPasswordsRange().apiBaseURL == "https://api.pwnedpasswords.com" && PwnedPasswordsRange().timeoutSeconds == 3)
    }
}
