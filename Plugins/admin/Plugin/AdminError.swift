import GatehouseJSON
import PluginKit

/// Every refusal the plugin answers, with Better Auth's codes, messages and statuses: the admin
/// plugin's `ADMIN_ERROR_CODES`, the core codes its routes borrow (`BASE_ERROR_CODES`) and the codes
/// better-call derives from a bare message.
enum AdminError: String, PluginErrorCode {
    // admin's $ERROR_CODES (error-codes.ts).
    case failedToCreateUser = "FAILED_TO_CREATE_USER"
    case userAlreadyExists = "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"
    case cannotBanYourself = "YOU_CANNOT_BAN_YOURSELF"
    case notAllowedToChangeRole = "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE"
    case notAllowedToCreateUsers = "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS"
    case notAllowedToListUsers = "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS"
    case notAllowedToListSessions = "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS"
    case notAllowedToBan = "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS"
    case notAllowedToImpersonate = "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS"
    case notAllowedToRevokeSessions = "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS"
    case notAllowedToDelete = "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS"
    case notAllowedToSetPassword = "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD"
    case bannedUser = "BANNED_USER"
    case notAllowedToGetUser = "YOU_ARE_NOT_ALLOWED_TO_GET_USER"
    case noDataToUpdate = "NO_DATA_TO_UPDATE"
    case notAllowedToUpdate = "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS"
    case cannotRemoveYourself = "YOU_CANNOT_REMOVE_YOURSELF"
    case nonExistentRole = "YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE"
    case cannotImpersonateAdmins = "YOU_CANNOT_IMPERSONATE_ADMINS"
    case invalidRoleType = "INVALID_ROLE_TYPE"
    case notAllowedToSetEmail = "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL"
    case passwordViaUpdateUser = "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER"
    // Better Auth answers these with a message only; better-call derives the code from it.
    case notImpersonating = "YOU_ARE_NOT_IMPERSONATING_ANYONE"
    case adminSessionNotFound = "FAILED_TO_FIND_ADMIN_SESSION"
    case noPermissionsPassed = "INVALID_PERMISSION_CHECK_NO_PERMISSIONS_WERE_PASSED"
    // The core's codes (BASE_ERROR_CODES) and the host's validation codes.
    case userNotFound = "USER_NOT_FOUND"
    case invalidEmail = "INVALID_EMAIL"
    case validation = "VALIDATION_ERROR"
    case invalidQuery = "INVALID_QUERY"
    case unauthorized = "UNAUTHORIZED"

    var message: String {
        switch self {
        case .failedToCreateUser: "Failed to create user"
        case .userAlreadyExists: "User already exists. Use another email."
        case .cannotBanYourself: "You cannot ban yourself"
        case .notAllowedToChangeRole: "You are not allowed to change users role"
        case .notAllowedToCreateUsers: "You are not allowed to create users"
        case .notAllowedToListUsers: "You are not allowed to list users"
        case .notAllowedToListSessions: "You are not allowed to list users sessions"
        case .notAllowedToBan: "You are not allowed to ban users"
        case .notAllowedToImpersonate: "You are not allowed to impersonate users"
        case .notAllowedToRevokeSessions: "You are not allowed to revoke users sessions"
        case .notAllowedToDelete: "You are not allowed to delete users"
        case .notAllowedToSetPassword: "You are not allowed to set users password"
        case .bannedUser: "You have been banned from this application"
        case .notAllowedToGetUser: "You are not allowed to get user"
        case .noDataToUpdate: "No data to update"
        case .notAllowedToUpdate: "You are not allowed to update users"
        case .cannotRemoveYourself: "You cannot remove yourself"
        case .nonExistentRole: "You are not allowed to set a non-existent role value"
        case .cannotImpersonateAdmins: "You cannot impersonate admins"
        case .invalidRoleType: "Invalid role type"
        case .notAllowedToSetEmail: "You are not allowed to update users email"
        case .passwordViaUpdateUser: "Password cannot be updated through update-user. Use the set-user-password endpoint instead"
        case .notImpersonating: "You are not impersonating anyone"
        case .adminSessionNotFound: "Failed to find admin session"
        case .noPermissionsPassed: "invalid permission check. no permission(s) were passed."
        case .userNotFound: "User not found"
        case .invalidEmail: "Invalid email"
        case .validation: "Validation error"
        case .invalidQuery: "Invalid query"
        case .unauthorized: "Unauthorized"
        }
    }

    var status: Int {
        switch self {
        case .notAllowedToChangeRole, .notAllowedToCreateUsers, .notAllowedToListUsers, .notAllowedToListSessions, .notAllowedToBan,
             .notAllowedToImpersonate, .notAllowedToRevokeSessions, .notAllowedToDelete, .notAllowedToSetPassword, .bannedUser,
             .notAllowedToGetUser, .notAllowedToUpdate, .cannotImpersonateAdmins, .notAllowedToSetEmail: 403
        case .userNotFound: 404
        case .unauthorized: 401
        case .failedToCreateUser: 500
        default: 400
        }
    }

    /// The codes this plugin adds, for the manifest's `errorCodes`; the core declares the rest.
    static var declared: JSONValue {
        let core: Set<AdminError> = [.userNotFound, .invalidEmail, .validation, .invalidQuery, .unauthorized]
        return .object(.init(uniqueKeysWithValues: allCases.filter { !core.contains($0) }.map { ($0.rawValue, .string($0.message)) }))
    }
}
