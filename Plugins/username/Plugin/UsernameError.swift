import PluginKit

/// Better Auth's `USERNAME_ERROR_CODES` with their messages. The status depends on the route
/// (400 on sign-up and update-user, 422 on sign-in and the availability check), so `status` is
/// the usual one and `failure(status:)` gives another.
enum UsernameError: String, PluginErrorCode {
    case INVALID_USERNAME_OR_PASSWORD, EMAIL_NOT_VERIFIED, UNEXPECTED_ERROR, USERNAME_IS_ALREADY_TAKEN
    case USERNAME_TOO_SHORT, USERNAME_TOO_LONG, INVALID_USERNAME, INVALID_DISPLAY_USERNAME, USERNAME_IS_IMMUTABLE

    var message: String {
        switch self {
        case .INVALID_USERNAME_OR_PASSWORD: "Invalid username or password"
        case .EMAIL_NOT_VERIFIED: "Email not verified"
        case .UNEXPECTED_ERROR: "Unexpected error"
        case .USERNAME_IS_ALREADY_TAKEN: "Username is already taken. Please try another."
        case .USERNAME_TOO_SHORT: "Username is too short"
        case .USERNAME_TOO_LONG: "Username is too long"
        case .INVALID_USERNAME: "Username is invalid"
        case .INVALID_DISPLAY_USERNAME: "Display username is invalid"
        case .USERNAME_IS_IMMUTABLE: "Username cannot be updated"
        }
    }

    var status: Int {
        switch self {
        case .INVALID_USERNAME_OR_PASSWORD: 401
        case .EMAIL_NOT_VERIFIED: 403
        case .UNEXPECTED_ERROR: 500
        default: 400
        }
    }

    func failure(status: Int) -> PluginError { PluginError(status: status, code: rawValue, message: message) }
}
