import PluginKit

/// Better Auth's `MULTI_SESSION_ERROR_CODES`.
enum MultiSessionError: String, PluginErrorCode {
    case INVALID_SESSION_TOKEN

    var message: String { "Invalid session token" }
    var status: Int { 401 }
}
