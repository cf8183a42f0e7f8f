/// Scope lists as OAuth writes them: names separated by spaces (RFC 6749 §3.3).
enum OAuthScopes {
    /// Scopes that speak for a user, never granted to a client acting for itself.
    static let userScopes: Set<String> = ["openid", "profile", "email", "offline_access"]

    /// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.value == 0x21 || (0x23...0x5B).contains($0.value) || (0x5D...0x7E).contains($0.value) }
    }

    /// The distinct names of a `scope` parameter, in order; nil when one is malformed.
    static func parse(_ text: String) -> [String]? {
        var names: [String] = []
        for part in text.split(separator: " ").map(String.init) where !names.contains(part) {
            guard isValidName(part) else { return nil }
            names.append(part)
        }
        return names
    }

    static func join(_ names: [String]) -> String { names.joined(separator: " ") }
}
