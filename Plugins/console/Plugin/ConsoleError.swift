import GatehouseJSON
import PluginKit

/// The console's own refusals. Refusals of the plugins it calls (admin, organization, webhooks,
/// two-factor) and of the host keep their own codes and statuses.
enum ConsoleError: String, PluginErrorCode {
    case invalidCredentials = "INVALID_EMAIL_OR_PASSWORD"
    case missingCredentials = "VALIDATION_ERROR"
    case notAdmin = "NOT_AN_ADMIN"
    case unauthorized = "UNAUTHORIZED"
    case invalidOrigin = "INVALID_ORIGIN"
    case invalidCode = "INVALID_TWO_FACTOR_CODE"
    case challengeExpired = "SIGN_IN_EXPIRED"
    case tooManyAttempts = "TOO_MANY_ATTEMPTS"
    case twoFactorUnavailable = "TWO_FACTOR_UNAVAILABLE"
    case invalidPage = "INVALID_PAGE"
    case searchTooDeep = "SEARCH_TOO_DEEP"
    case notFound = "NOT_FOUND"
    case sessionNotFound = "SESSION_NOT_FOUND"
    case pluginNotFound = "PLUGIN_NOT_FOUND"
    case pluginRequired = "PLUGIN_REQUIRED"
    case pluginNotLoaded = "PLUGIN_NOT_LOADED"
    case internalError = "INTERNAL_SERVER_ERROR"
    case databaseUnavailable = "DATABASE_UNAVAILABLE"

    var message: String {
        switch self {
        case .invalidCredentials: "Invalid email or password"
        case .missingCredentials: "Enter an email and a password"
        case .notAdmin: "Only administrators may use the console"
        case .unauthorized: "Sign in to the console first"
        case .invalidOrigin: "The form was not sent from the console's own origin; nothing was changed"
        case .invalidCode: "Invalid code"
        case .challengeExpired: "The sign-in expired or was already used; sign in again"
        case .tooManyAttempts: "Too many wrong codes; sign in again"
        case .twoFactorUnavailable: "This account uses two-factor authentication, but the two-factor plugin is not loaded"
        case .invalidPage: "page must be a whole number, at least 1"
        case .searchTooDeep: "A search is paged through its first \(UsersPage.deepestSearch) users; narrow it down"
        case .notFound: "Not found"
        case .sessionNotFound: "The user has no live session with this id"
        case .pluginNotFound: "No plugin has this id"
        case .pluginRequired: "The console and admin plugins cannot be disabled from the console"
        case .pluginNotLoaded: "The plugin is not loaded"
        case .internalError: "Something went wrong; the server log has the details"
        case .databaseUnavailable: "The database is unavailable; try again shortly"
        }
    }

    var status: Int {
        switch self {
        case .invalidCredentials, .unauthorized, .invalidCode, .challengeExpired, .tooManyAttempts: 401
        case .notAdmin, .invalidOrigin, .twoFactorUnavailable: 403
        case .notFound, .sessionNotFound, .pluginNotFound, .pluginNotLoaded: 404
        case .internalError: 500
        case .databaseUnavailable: 503
        case .missingCredentials, .invalidPage, .searchTooDeep, .pluginRequired: 400
        }
    }
}

extension PluginError {
    /// Codes that name something missing, whatever status their plugin gives them: the console
    /// answers them 404 (Better Auth's organization plugin answers an unknown organization 400).
    private static let missing: Set<String> = [
        "USER_NOT_FOUND", "ORGANIZATION_NOT_FOUND", "DELIVERY_NOT_FOUND", "PLUGIN_NOT_FOUND", "SESSION_NOT_FOUND", "NOT_FOUND",
    ]

    /// The status the console answers this refusal with: 404 for something missing, the refusing
    /// plugin's or the host's own 4xx, 503 while the database is away, else 500 (a fault, not the
    /// request's: logged, never shown in detail).
    var consoleStatus: Int {
        if Self.missing.contains(code) { return 404 }
        if code == "DATABASE_UNAVAILABLE" { return 503 }
        if (400..<500).contains(status) { return status }
        if let own = detail?["status"]?.intValue, (400..<500).contains(own) { return own }
        return 500
    }

    /// Whether the console shows it as a refusal (4xx) rather than a fault.
    var isRefusal: Bool { (400..<500).contains(consoleStatus) }
}
