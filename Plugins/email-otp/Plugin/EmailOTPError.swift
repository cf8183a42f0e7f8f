import GatehouseJSON
import PluginKit

/// Every refusal the plugin answers, with Better Auth's codes, messages and statuses: the
/// plugin's own `EMAIL_OTP_ERROR_CODES`, the core codes its routes borrow (`BASE_ERROR_CODES`),
/// and the two codes better-call derives from a bare message.
enum EmailOTPError: String, PluginErrorCode {
    // email-otp's $ERROR_CODES (error-codes.ts).
    case otpExpired = "OTP_EXPIRED"
    case invalidOTP = "INVALID_OTP"
    case tooManyAttempts = "TOO_MANY_ATTEMPTS"
    // Better Auth answers these with a message only; better-call derives the code from it.
    case invalidOTPType = "INVALID_OTP_TYPE"
    case emailNotConfigured = "SEND_EMAIL_VERIFICATION_IS_NOT_IMPLEMENTED"
    // The core's codes (BASE_ERROR_CODES).
    case invalidEmail = "INVALID_EMAIL"
    case userNotFound = "USER_NOT_FOUND"
    case failedToCreateUser = "FAILED_TO_CREATE_USER"
    case validation = "VALIDATION_ERROR"

    var message: String {
        switch self {
        case .otpExpired: "OTP expired"
        case .invalidOTP: "Invalid OTP"
        case .tooManyAttempts: "Too many attempts"
        case .invalidOTPType: "Invalid OTP type"
        case .emailNotConfigured: "send email verification is not implemented"
        case .invalidEmail: "Invalid email"
        case .userNotFound: "User not found"
        case .failedToCreateUser: "Failed to create user"
        case .validation: "Validation error"
        }
    }

    var status: Int {
        switch self {
        case .tooManyAttempts: 403
        case .failedToCreateUser: 422
        default: 400
        }
    }

    /// The codes this plugin adds, for the manifest's `errorCodes`; the core declares the rest.
    static var declared: JSONValue {
        let own: [EmailOTPError] = [.otpExpired, .invalidOTP, .tooManyAttempts, .invalidOTPType, .emailNotConfigured]
        return .object(.init(uniqueKeysWithValues: own.map { ($0.rawValue, .string($0.message)) }))
    }
}
