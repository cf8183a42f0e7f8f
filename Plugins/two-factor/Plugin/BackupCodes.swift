import GatehouseJSON
import PluginKit

/// Backup codes: `amount` codes of `length` characters from `[A-Za-z0-9]`, shown as
/// `XXXXX-XXXXX`, kept in the row as a JSON array, encrypted unless configured `plain`.
struct BackupCodes: Sendable {
    let context: TwoFactorContext

    func generate() -> [String] {
        let settings = context.settings
        return (0..<settings.backupCodeAmount).map { _ in
            let code = context.randomText(settings.backupCodeLength)
            let half = code.index(code.startIndex, offsetBy: settings.backupCodeLength / 2)
            return code[..<half] + "-" + code[half...]
        }
    }

    /// The column value for `codes`.
    func seal(_ codes: [String]) throws -> String {
        let json = JSONValue.array(codes.map(JSONValue.string)).serialized()
        guard context.settings.backupCodeStorage == .encrypted else { return json }
        return try context.failIfNil(context.host.encrypt(json), "cannot encrypt backup codes")
    }

    /// The codes in a column value: encrypted (the default) or plain JSON, as Better Auth
    /// may have written either.
    func open(_ stored: String) -> [String]? {
        let json = context.host.decrypt(stored) ?? stored
        guard let codes = (try? JSONValue.parse(json))?.arrayValue else { return nil }
        return codes.compactMap(\.stringValue)
    }

    /// The position of `code` in `codes`; every code is compared, in constant time.
    func position(of code: String, in codes: [String]) -> Int? {
        var found: Int?
        for (index, candidate) in codes.enumerated() where ConstantTime.equal(Array(candidate.utf8), Array(code.utf8)) && found == nil {
            found = index
        }
        return found
    }
}
