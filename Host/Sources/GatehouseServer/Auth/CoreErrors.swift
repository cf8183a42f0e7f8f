import HTTPTypes

public typealias HTTPResponseStatus = HTTPResponse.Status

/// Better Auth's base error codes (`core/src/error/codes.ts`) with the statuses its routes use.
public enum CoreErrors {
    public static let catalogue: [ErrorCode] = [
        ErrorCode("USER_NOT_FOUND", "User not found"),
        ErrorCode("FAILED_TO_CREATE_USER", "Failed to create user"),
        ErrorCode("FAILED_TO_CREATE_SESSION", "Failed to create session"),
        ErrorCode("FAILED_TO_UPDATE_USER", "Failed to update user"),
        ErrorCode("FAILED_TO_GET_SESSION", "Failed to get session"),
        ErrorCode("FAILED_TO_GET_USER_INFO", "Failed to get user info"),
        ErrorCode("INVALID_PASSWORD", "Invalid password"),
        ErrorCode("INVALID_EMAIL", "Invalid email"),
        ErrorCode("INVALID_EMAIL_OR_PASSWORD", "Invalid email or password"),
        ErrorCode("INVALID_USER", "Invalid user"),
        ErrorCode("INVALID_TOKEN", "Invalid token"),
        ErrorCode("TOKEN_EXPIRED", "Token expired"),
        ErrorCode("EMAIL_NOT_VERIFIED", "Email not verified"),
        ErrorCode("PASSWORD_TOO_SHORT", "Password too short"),
        ErrorCode("PASSWORD_TOO_LONG", "Password too long"),
        // Better Auth's haveIBeenPwned plugin's code, for every refused common or breached password.
        ErrorCode("PASSWORD_COMPROMISED", "The password you entered has been compromised. Please choose a different password."),
        ErrorCode("USER_ALREADY_EXISTS", "User already exists."),
        ErrorCode("USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL", "User already exists. Use another email."),
        ErrorCode("EMAIL_CAN_NOT_BE_UPDATED", "Email can not be updated"),
        ErrorCode("CHANGE_EMAIL_DISABLED", "Change email is disabled"),
        ErrorCode("CREDENTIAL_ACCOUNT_NOT_FOUND", "Credential account not found"),
        ErrorCode("SESSION_EXPIRED", "Session expired. Re-authenticate to perform this action."),
        ErrorCode("FAILED_TO_UNLINK_LAST_ACCOUNT", "You can't unlink your last account"),
        ErrorCode("ACCOUNT_NOT_FOUND", "Account not found"),
        ErrorCode("USER_ALREADY_HAS_PASSWORD", "User already has a password. Provide that to delete the account."),
        ErrorCode("CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", "Cross-site navigation login blocked. This request appears to be a CSRF attack."),
        ErrorCode("VERIFICATION_EMAIL_NOT_ENABLED", "Verification email isn't enabled"),
        ErrorCode("EMAIL_ALREADY_VERIFIED", "Email is already verified"),
        ErrorCode("EMAIL_MISMATCH", "Email mismatch"),
        ErrorCode("SESSION_NOT_FRESH", "Session is not fresh"),
        ErrorCode("INVALID_ORIGIN", "Invalid origin"),
        ErrorCode("INVALID_CALLBACK_URL", "Invalid callbackURL"),
        ErrorCode("INVALID_REDIRECT_URL", "Invalid redirectURL"),
        ErrorCode("INVALID_ERROR_CALLBACK_URL", "Invalid errorCallbackURL"),
        ErrorCode("INVALID_NEW_USER_CALLBACK_URL", "Invalid newUserCallbackURL"),
        ErrorCode("MISSING_OR_NULL_ORIGIN", "Missing or null Origin"),
        ErrorCode("FIELD_NOT_ALLOWED", "Field not allowed to be set"),
        ErrorCode("VALIDATION_ERROR", "Validation error"),
        ErrorCode("METHOD_NOT_ALLOWED_DEFER_SESSION_REQUIRED", "POST method requires deferSessionRefresh to be enabled in session config"),
        ErrorCode("BODY_MUST_BE_AN_OBJECT", "Body must be an object"),
        ErrorCode("EMAIL_PASSWORD_DISABLED", "Email and password is not enabled"),
        ErrorCode("EMAIL_PASSWORD_SIGN_UP_DISABLED", "Email and password sign up is not enabled"),
        ErrorCode("RESET_PASSWORD_DISABLED", "Reset password isn't enabled"),
        ErrorCode("UNAUTHORIZED", "Unauthorized"),
        ErrorCode("NO_FIELDS_TO_UPDATE", "No fields to update"),
        ErrorCode("INVALID_JSON", "Request body is not valid JSON"),
        ErrorCode("UNSUPPORTED_MEDIA_TYPE", "Unsupported media type"),
        ErrorCode("PAYLOAD_TOO_LARGE", "Request body is too large"),
        ErrorCode("EMAIL_IS_THE_SAME", "Email is the same"),
        // Social sign-in and linked accounts.
        ErrorCode("PROVIDER_NOT_FOUND", "Provider not found"),
        ErrorCode("ID_TOKEN_NOT_SUPPORTED", "id_token not supported"),
        ErrorCode("USER_EMAIL_NOT_FOUND", "User email not found"),
        ErrorCode("SOCIAL_ACCOUNT_ALREADY_LINKED", "Social account already linked"),
        ErrorCode("LINKING_NOT_ALLOWED", "Account not linked - linking not allowed"),
        ErrorCode("LINKING_DIFFERENT_EMAILS_NOT_ALLOWED", "Account not linked - different emails not allowed"),
        ErrorCode("LINKING_FAILED", "Account not linked - unable to create account"),
        ErrorCode("OAUTH_LINK_ERROR", "Unable to link account"),
        ErrorCode("PROVIDER_UNAVAILABLE", "The identity provider could not be reached"),
        ErrorCode("PROVIDER_NOT_SUPPORTED", "Provider is not supported"),
        ErrorCode("TOKEN_REFRESH_NOT_SUPPORTED", "Provider does not support token refreshing"),
        ErrorCode("REFRESH_TOKEN_NOT_FOUND", "Refresh token not found"),
        ErrorCode("FAILED_TO_REFRESH_ACCESS_TOKEN", "Failed to refresh access token"),
        ErrorCode("FAILED_TO_GET_ACCESS_TOKEN", "Failed to get a valid access token"),
        ErrorCode("PROVIDER_NOT_CONFIGURED", "Account is not associated with a configured social provider."),
        ErrorCode("ACCESS_TOKEN_NOT_FOUND", "Access token not found"),
        // Gatehouse's sign-in/social/exchange (native apps): any code that cannot be used.
        ErrorCode("INVALID_CODE", "Invalid or expired code"),
        ErrorCode("DATABASE_UNAVAILABLE", "The database is unavailable; try again shortly"),
    ]

    private static let byCode = Dictionary(uniqueKeysWithValues: catalogue.map { ($0.code, $0) })

    /// The catalogue error `code` with `status`.
    public static func error(_ code: String, _ status: HTTPStatusShorthand) -> APIError {
        APIError(status.status, code, byCode[code]?.message ?? code)
    }

    public static let unauthorized = error("UNAUTHORIZED", .unauthorized)
    public static let invalidEmailOrPassword = error("INVALID_EMAIL_OR_PASSWORD", .unauthorized)
    public static let invalidPassword = error("INVALID_PASSWORD", .badRequest)
    public static let invalidToken = error("INVALID_TOKEN", .badRequest)
    public static let userNotFound = error("USER_NOT_FOUND", .badRequest)
    public static let passwordTooShort = error("PASSWORD_TOO_SHORT", .badRequest)
    public static let passwordTooLong = error("PASSWORD_TOO_LONG", .badRequest)
    public static let passwordCompromised = error("PASSWORD_COMPROMISED", .badRequest)
    public static let noFieldsToUpdate = error("NO_FIELDS_TO_UPDATE", .badRequest)
    public static let bodyMustBeObject = error("BODY_MUST_BE_AN_OBJECT", .badRequest)
    public static let databaseUnavailable = error("DATABASE_UNAVAILABLE", .serviceUnavailable)
    /// The database refused a value of the request (`DatabaseRejectedValue`: PostgreSQL takes no NUL byte in text).
    public static let valueCannotBeStored = APIError(.badRequest, "VALIDATION_ERROR", "A value in the request cannot be stored")
}

/// The handful of statuses core routes answer with.
public enum HTTPStatusShorthand: Sendable {
    case badRequest, unauthorized, forbidden, notFound, methodNotAllowed, unprocessable, serviceUnavailable

    var status: HTTPResponseStatus {
        switch self {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .unprocessable: .unprocessableContent
        case .serviceUnavailable: .serviceUnavailable
        }
    }
}
