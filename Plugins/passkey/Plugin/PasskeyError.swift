import PluginKit

/// Better Auth's passkey error codes (`error-codes.ts`) with their statuses.
enum PasskeyError: String, PluginErrorCode {
    case challengeNotFound = "CHALLENGE_NOT_FOUND"
    case notAllowedToRegister = "YOU_ARE_NOT_ALLOWED_TO_REGISTER_THIS_PASSKEY"
    case failedToVerifyRegistration = "FAILED_TO_VERIFY_REGISTRATION"
    case passkeyNotFound = "PASSKEY_NOT_FOUND"
    case authenticationFailed = "AUTHENTICATION_FAILED"
    case unableToCreateSession = "UNABLE_TO_CREATE_SESSION"
    case failedToUpdatePasskey = "FAILED_TO_UPDATE_PASSKEY"

    var message: String {
        switch self {
        case .challengeNotFound: "Challenge not found"
        case .notAllowedToRegister: "You are not allowed to register this passkey"
        case .failedToVerifyRegistration: "Failed to verify registration"
        case .passkeyNotFound: "Passkey not found"
        case .authenticationFailed: "Authentication failed"
        case .unableToCreateSession: "Unable to create session"
        case .failedToUpdatePasskey: "Failed to update passkey"
        }
    }

    var status: Int {
        switch self {
        case .challengeNotFound, .failedToVerifyRegistration, .failedToUpdatePasskey: 400
        case .passkeyNotFound: 404
        case .unableToCreateSession: 500
        case .notAllowedToRegister, .authenticationFailed: 401
        }
    }
}
