import Foundation

/// The form in which passwords are compared with a blocklist: NFKC, case-folded, NFKC again
/// (Unicode's NFKC_Casefold, closely), so `PASSWORD`, `Password` and full-width `ＰＡＳＳＷＯＲＤ`
/// are the same entry.
enum PasswordKey {
    static func of(_ password: some StringProtocol) -> String {
        String(password).precomposedStringWithCompatibilityMapping
            .folding(options: .caseInsensitive, locale: nil)
            .precomposedStringWithCompatibilityMapping
    }
}
