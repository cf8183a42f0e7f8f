import PluginKit

/// The SIWE plugin's error codes (Better Auth 1.7's, plus one for messages that do not parse).
enum SIWEError: String, PluginErrorCode {
    case invalidNonce = "UNAUTHORIZED_INVALID_OR_EXPIRED_NONCE"
    case messageMismatch = "UNAUTHORIZED_SIWE_MESSAGE_MISMATCH"
    case messageExpired = "UNAUTHORIZED_SIWE_MESSAGE_EXPIRED"
    case messageNotYetValid = "UNAUTHORIZED_SIWE_MESSAGE_NOT_YET_VALID"
    case invalidSignature = "INVALID_SIWE_SIGNATURE"
    case invalidMessage = "INVALID_SIWE_MESSAGE"
    case emailRequired = "EMAIL_REQUIRED"
    case emailInUse = "USER_ALREADY_EXISTS"

    var message: String {
        switch self {
        case .invalidNonce: "Unauthorized: Invalid or expired nonce"
        case .messageMismatch: "Unauthorized: SIWE message does not match"
        case .messageExpired: "Unauthorized: SIWE message has expired"
        case .messageNotYetValid: "Unauthorized: SIWE message is not yet valid"
        case .invalidSignature: "Invalid SIWE signature"
        case .invalidMessage: "Invalid SIWE message"
        case .emailRequired: "An email is required when anonymous sign-in is off"
        case .emailInUse: "User already exists. Use another email."
        }
    }

    var status: Int {
        switch self {
        case .invalidMessage, .emailRequired: 400
        case .emailInUse: 422
        default: 401
        }
    }
}
