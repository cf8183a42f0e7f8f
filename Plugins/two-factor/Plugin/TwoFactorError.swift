import PluginKit

/// Better Auth's two-factor error codes (`error-code.ts`) with their messages and statuses.
enum TwoFactorError: String, PluginErrorCode {
    case otpNotEnabled = "OTP_NOT_ENABLED"
    case otpNotConfigured = "OTP_NOT_CONFIGURED"
    case otpHasExpired = "OTP_HAS_EXPIRED"
    case totpNotEnabled = "TOTP_NOT_ENABLED"
    case totpNotConfigured = "TOTP_NOT_CONFIGURED"
    case twoFactorNotEnabled = "TWO_FACTOR_NOT_ENABLED"
    case backupCodesNotEnabled = "BACKUP_CODES_NOT_ENABLED"
    case invalidBackupCode = "INVALID_BACKUP_CODE"
    case invalidCode = "INVALID_CODE"
    case tooManyAttempts = "TOO_MANY_ATTEMPTS_REQUEST_NEW_CODE"
    case accountLocked = "ACCOUNT_TEMPORARILY_LOCKED"
    case invalidTwoFactorCookie = "INVALID_TWO_FACTOR_COOKIE"
    case invalidPassword = "INVALID_PASSWORD"
    case invalidMethod = "INVALID_TWO_FACTOR_METHOD"

    var message: String {
        switch self {
        case .otpNotEnabled: "OTP not enabled"
        case .otpNotConfigured: "OTP not configured"
        case .otpHasExpired: "OTP has expired"
        case .totpNotEnabled: "TOTP not enabled"
        case .totpNotConfigured: "TOTP not configured"
        case .twoFactorNotEnabled: "Two factor isn't enabled"
        case .backupCodesNotEnabled: "Backup codes aren't enabled"
        case .invalidBackupCode: "Invalid backup code"
        case .invalidCode: "Invalid code"
        case .tooManyAttempts: "Too many attempts. Please request a new code."
        case .accountLocked: "Too many failed two-factor attempts. Two-factor verification is temporarily locked."
        case .invalidTwoFactorCookie: "Invalid two factor cookie"
        case .invalidPassword: "Invalid password"
        case .invalidMethod: "method must be \"totp\" or \"otp\""
        }
    }

    var status: Int {
        switch self {
        case .invalidCode, .invalidBackupCode, .invalidTwoFactorCookie: 401
        case .accountLocked: 429
        default: 400
        }
    }
}
