import GatehouseJSON
import PluginKit

/// The error `POST /sign-in/magic-link` answers as JSON `{code, message}` itself. The form-CSRF
/// refusals (`CROSS_SITE_NAVIGATION_LOGIN_BLOCKED`, …) come from the host, which declares them.
enum MagicLinkError: String, PluginErrorCode {
    case emailNotConfigured = "EMAIL_NOT_CONFIGURED"

    var message: String { "Magic links cannot be sent: no email transport is configured" }
    var status: Int { 400 }
}

/// The `error` query parameter `GET /magic-link/verify` redirects with, spelled as Better Auth
/// 1.7.1 spells each one.
enum VerifyFailure: String, CaseIterable {
    case invalidToken = "INVALID_TOKEN"
    case signUpDisabled = "new_user_signup_disabled"
    case failedToCreateUser = "failed_to_create_user"
    case userNotFound = "user_not_found"

    var message: String {
        switch self {
        case .invalidToken: "The magic link is invalid, expired or already used"
        case .signUpDisabled: "The magic link belongs to an unknown address and sign-up is disabled"
        case .failedToCreateUser: "The user could not be created"
        case .userNotFound: "The user no longer exists"
        }
    }
}

extension MagicLinkError {
    /// Every code the plugin answers or redirects with: the manifest's `errorCodes`.
    static var allEntries: JSONValue {
        var entries = manifestEntries.objectValue ?? [:]
        for failure in VerifyFailure.allCases { entries[failure.rawValue] = .string(failure.message) }
        return .object(entries)
    }
}
