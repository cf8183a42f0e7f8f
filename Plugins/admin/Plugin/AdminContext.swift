import Foundation
import GatehouseJSON
import PluginKit

/// The signed-in caller of an admin route, with its database user (`auth: sensitiveSession`, so a
/// role changed a moment ago already counts).
struct Caller: Sendable {
    let userID: String
    let user: JSONValue
    let session: JSONValue

    init(_ call: PluginCall) throws { try self.init(signedIn: call.session) }

    /// From a `{session, user}` pair; 401 without one.
    init(signedIn found: JSONValue?) throws {
        guard let session = found?["session"], let user = found?["user"], let id = user["id"]?.stringValue else {
            throw AdminError.unauthorized.failure
        }
        userID = id
        self.user = user
        self.session = session
    }
}

/// What every route shares: the host, the settings, the database, the permission check, user
/// reads and the audit events.
struct AdminContext: Sendable {
    let host: PluginHost
    let settings: AdminSettings
    let db: PluginDatabase

    init(host: PluginHost, settings: AdminSettings) {
        self.host = host
        self.settings = settings
        db = PluginDatabase(host: host)
    }

    // MARK: Permissions

    /// The roles a stored `user.role` gives, the default role when it names none.
    func roles(of user: JSONValue) -> [String] {
        let names = AccessControl.roleNames(user["role"]?.stringValue)
        return names.isEmpty ? [settings.defaultRole] : names
    }

    /// Whether `user` may do everything asked for: `adminUserIds` may do anything.
    func allows(_ user: JSONValue, _ request: AccessControl.Permissions) -> Bool {
        if let id = user["id"]?.stringValue, settings.adminUserIDs.contains(id) { return true }
        return settings.accessControl.grants(roles(of: user), request)
    }

    /// The caller, once it may do what `request` asks; else `refusal` (403), nothing done.
    @discardableResult
    func authorize(_ call: PluginCall, _ request: AccessControl.Permissions, else refusal: AdminError) throws -> Caller {
        let caller = try Caller(call)
        try require(caller, request, else: refusal)
        return caller
    }

    func require(_ caller: Caller, _ request: AccessControl.Permissions, else refusal: AdminError) throws {
        guard allows(caller.user, request) else { throw refusal.failure }
    }

    /// Whether `user` is an administrator: one of `adminRoles`, or listed in `adminUserIds`.
    func isAdministrator(_ user: JSONValue) -> Bool {
        if let id = user["id"]?.stringValue, settings.adminUserIDs.contains(id) { return true }
        return !Set(roles(of: user)).isDisjoint(with: settings.adminRoles)
    }

    // MARK: Users

    /// The user in API form, or nil.
    func user(_ id: String) throws -> JSONValue? {
        try host.call("users.find", ["id": .string(id)])["user"]?.nonNull
    }

    /// The user in API form, or 404 `USER_NOT_FOUND`.
    func existingUser(_ id: String) throws -> JSONValue {
        guard let user = try user(id) else { throw AdminError.userNotFound.failure }
        return user
    }

    /// The host's user update (announced as `user.updated`), answering the user as it now is.
    func updateUser(_ id: String, _ data: JSONValue) throws -> JSONValue {
        guard let user = try host.call("users.update", ["id": .string(id), "data": data])["user"]?.nonNull else {
            throw AdminError.userNotFound.failure
        }
        return user
    }

    /// A database row as API output: only the members the caller's own API-form row has, so
    /// fields declared `returned: false` never leave the server.
    static func output(_ row: JSONValue, shapedLike sample: JSONValue) -> JSONValue {
        guard let fields = sample.objectValue?.keys, let object = row.objectValue else { return row }
        return .object(.init(uniqueKeysWithValues: fields.map { ($0, object[$0] ?? .null) }))
    }

    // MARK: Events

    /// Announces a change made (`admin.*`, payload `{actorUserId, userId, …}`); a delivery problem
    /// never undoes it, so it is only logged.
    func announce(_ name: String, _ caller: Caller, userID: String, _ details: [(String, JSONValue)] = []) {
        let payload: JSONValue = .object(.init(uniqueKeysWithValues: [("actorUserId", .string(caller.userID)), ("userId", .string(userID))] + details))
        do {
            _ = try host.call("events.emit", ["name": .string(name), "payload": payload])
        } catch {
            host.log(.warning, "admin: \(name) was not announced (\((error as? PluginError)?.code ?? "\(error)"))")
        }
    }
}

/// Reads of a request body the host has validated against the route's declaration.
extension JSONValue {
    /// A member that is a non-empty string, else 400 `VALIDATION_ERROR` naming it.
    func requiredText(_ key: String) throws -> String {
        guard let text = self[key]?.stringValue, !text.isEmpty else {
            throw AdminError.validation.failure(message: "[body.\(key)] Invalid input: expected a non-empty string")
        }
        return text
    }

    /// A member, nil when absent or null.
    func optional(_ key: String) -> JSONValue? { self[key]?.nonNull }
}
