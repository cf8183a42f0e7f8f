import Foundation

/// Passwords nobody may choose, compared by `PasswordKey`: the built-in list of the most common
/// passwords, or an operator's file of one password per line.
public struct PasswordBlocklist: Sendable {
    private let keys: Set<String>

    /// One password per line (LF or CRLF); empty lines are skipped.
    public init(lines text: String) {
        keys = Set(text.split(whereSeparator: \.isNewline).map(PasswordKey.of))
    }

    /// An operator's list (`password.blocklistFile`), UTF-8.
    public init(file path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw BlocklistFileError.unreadable(path) }
        guard let text = String(data: data, encoding: .utf8) else { throw BlocklistFileError.notUTF8(path) }
        self.init(lines: text)
    }

    /// The 10,000 most common passwords of zxcvbn's frequency list (from the zxcvbn 4.5.0
    /// package, MIT licence; already NFKC-normalised and case-folded), built into the binary.
    public static let common = PasswordBlocklist(lines: String(decoding: PackageResources.common_passwords_txt, as: UTF8.self))

    public var count: Int { keys.count }

    public func contains(_ password: String) -> Bool {
        keys.contains(PasswordKey.of(password))
    }
}

public enum BlocklistFileError: Error, CustomStringConvertible {
    case unreadable(String), notUTF8(String)

    public var description: String {
        switch self {
        case .unreadable(let path): "cannot read \(path)"
        case .notUTF8(let path): "\(path) is not UTF-8 text"
        }
    }
}
