import Foundation
import GatehouseJSON
import PluginKit

/// Better Auth's anonymous plugin: a guest gets a real user (`isAnonymous`, a placeholder address
/// that is never mailed) and a session, and can later sign in or up as a real user; that sign-in
/// links the two: `anonymous.linked {anonymousUserId, userId}` reaches every subscriber before
/// the anonymous user and its sessions are deleted, so plugins can move its data first.
struct AnonymousPlugin: GatehousePlugin {
    static let id = "anonymous"
    static let version = "1.0.0"
    static let name = "Anonymous sign-in"
    static let manifest: JSONValue = [
        "endpoints": [
            ["method": "POST", "path": "/sign-in/anonymous", "envelope": ["headers"], "summary": "Sign in as a new anonymous user"],
            ["method": "POST", "path": "/delete-anonymous-user", "auth": "sensitiveSession", "envelope": ["session"],
             "summary": "Delete the signed-in anonymous user"],
        ],
        // Any route that creates a session for someone else links the anonymous user: sign-up,
        // sign-in of every kind, social callbacks, magic links, one-time tokens, plugins' sign-ins.
        // Last, so that a sign-in a second factor turned into a challenge links nobody.
        "hooks": ["after": [["matcher": "/**", "whenNewSession": true, "runsLast": true, "envelope": ["headers", "newSession"]]]],
        "schema": ["fields": ["user": [
            ["name": "isAnonymous", "type": "boolean", "required": false, "input": false, "defaultValue": false, "suppressesEmail": true],
        ]]],
        "errorCodes": AnonymousError.manifestEntries,
    ]

    private static let alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    let host: PluginHost
    let settings: AnonymousSettings

    init(host: PluginHost, settings: JSONValue) throws {
        self.host = host
        self.settings = try AnonymousSettings(settings)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .endpoint(0): try signIn(call)
        case .endpoint(1): try deleteAnonymousUser(call)
        case .afterHook: try link(call)
        default: .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
    }

    /// `POST /sign-in/anonymous` → `{token, user}` with the new session's cookies.
    private func signIn(_ call: PluginCall) throws -> PluginAnswer {
        if try host.session(of: call)?["user"]?["isAnonymous"]?.boolValue == true {
            throw AnonymousError.ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY.failure
        }
        let id = host.randomText(32, alphabet: Self.alphanumeric)
        let email = settings.emailDomainName.map { "temp-\(id)@\($0)" } ?? "temp@\(id).com"
        let created = try host.call("users.create", ["data": ["email": .string(email), "name": "Anonymous", "emailVerified": false,
                                                              "isAnonymous": true]])
        guard let user = created["user"], let userID = user["id"]?.stringValue else { throw AnonymousError.FAILED_TO_CREATE_USER.failure }
        return PluginAnswer.json(["token": .null, "user": user]).signIn(userID: userID, tokenKey: "token")
    }

    /// `POST /delete-anonymous-user` → `{success: true}`, the user, its sessions and cookies gone.
    private func deleteAnonymousUser(_ call: PluginCall) throws -> PluginAnswer {
        if settings.disableDeleteAnonymousUser { throw AnonymousError.DELETE_ANONYMOUS_USER_DISABLED.failure }
        guard let user = call.session?["user"], let userID = user["id"]?.stringValue else {
            return .error(status: 401, code: "UNAUTHORIZED", message: "Unauthorized")
        }
        guard user["isAnonymous"]?.boolValue == true else { throw AnonymousError.USER_IS_NOT_ANONYMOUS.failure }
        _ = try host.call("users.delete", ["id": .string(userID)])
        return ["session_token", "session_data", "dont_remember"].reduce(PluginAnswer.json(["success": true])) { $0.expireCookie($1) }
    }

    /// After a session was created (the envelope leaves out `session`, so the caller's own is read
    /// from its cookie): if the request came from an anonymous user's session and the
    /// new session is another, real user's, the anonymous user is linked to it and deleted.
    private func link(_ call: PluginCall) throws -> PluginAnswer {
        guard let newUser = call.newSession?["user"], let newUserID = newUser["id"]?.stringValue,
              newUser["isAnonymous"]?.boolValue != true,
              let previous = try host.session(of: call),
              previous["user"]?["isAnonymous"]?.boolValue == true,
              let anonymousID = previous["user"]?["id"]?.stringValue, anonymousID != newUserID
        else { return .keep }
        let delivery = try host.call("events.emit", ["name": "anonymous.linked", "await": true,
                                                     "payload": ["anonymousUserId": .string(anonymousID), "userId": .string(newUserID)]])
        // A subscriber that failed may not have moved the anonymous user's data: keep the user
        // rather than lose it (Better Auth aborts the link when onLinkAccount throws).
        if (delivery["failed"]?.intValue ?? 0) > 0 {
            host.log(.warning, "anonymous: a subscriber failed on anonymous.linked; the anonymous user is kept")
        } else if !settings.disableDeleteAnonymousUser {
            _ = try host.call("users.delete", ["id": .string(anonymousID)])
        }
        return .keep
    }
}

enum AnonymousError: String, PluginErrorCode {
    case FAILED_TO_CREATE_USER, ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY, USER_IS_NOT_ANONYMOUS
    case DELETE_ANONYMOUS_USER_DISABLED

    var message: String {
        switch self {
        case .FAILED_TO_CREATE_USER: "Failed to create user"
        case .ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY: "Anonymous users cannot sign in again anonymously"
        case .USER_IS_NOT_ANONYMOUS: "User is not anonymous"
        case .DELETE_ANONYMOUS_USER_DISABLED: "Deleting anonymous users is disabled"
        }
    }

    var status: Int {
        switch self {
        case .FAILED_TO_CREATE_USER: 500
        case .USER_IS_NOT_ANONYMOUS: 403
        case .ANONYMOUS_USERS_CANNOT_SIGN_IN_AGAIN_ANONYMOUSLY, .DELETE_ANONYMOUS_USER_DISABLED: 400
        }
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: AnonymousPlugin.self) }
