import Foundation
import GatehouseJSON
import PluginKit

/// What makes a username acceptable, how it is stored, and who holds one.
struct UsernameRules: Sendable {
    let settings: UsernameSettings
    let db: PluginDatabase

    /// The stored form: lower-cased unless `usernameNormalization: false`.
    func normalized(_ username: String) -> String {
        settings.lowercasesUsernames ? username.lowercased() : username
    }

    /// The first rule `username` breaks (length, then the validator), checked on the form
    /// `validationOrder.username` names; nil when it is acceptable.
    func violation(of username: String) -> UsernameError? {
        let checked = settings.usernameValidationOrder == .postNormalization ? normalized(username) : username
        // Lengths in UTF-16 code units, as JavaScript counts them.
        if checked.utf16.count < settings.minUsernameLength { return .USERNAME_TOO_SHORT }
        if checked.utf16.count > settings.maxUsernameLength { return .USERNAME_TOO_LONG }
        if !Self.matches(settings.usernameValidator, checked) { return .INVALID_USERNAME }
        return nil
    }

    /// Whether `displayUsername` passes `displayUsernameValidator` (always, without one).
    func acceptsDisplayUsername(_ displayUsername: String) -> Bool {
        settings.displayUsernameValidator.map { Self.matches($0, displayUsername) } ?? true
    }

    /// The user row that holds this (normalized) username, if any.
    func holder(of normalizedUsername: String) throws -> JSONValue? {
        try db.findOne("user", [PluginDatabase.equals("username", .string(normalizedUsername))])
    }

    /// `RegExp.test`: a match anywhere unless the expression is anchored.
    private static func matches(_ expression: NSRegularExpression, _ text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
