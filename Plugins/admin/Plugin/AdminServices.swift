import Foundation
import GatehouseJSON
import PluginKit

/// The services other plugins call (ABI 1.2), for an operator's console: `isAdmin`, and routes run
/// for an administrator. Those take `actorUserId` (and `actorSessionToken`, the actor's own
/// session, when it has one) beside the route's own fields and run the route's handler with a call
/// signed in as that user (`{session, user}`, the user as `users.find` gives it), so its permission
/// checks, refusals and `admin.*` events are exactly the route's. Deciding that the actor is the
/// one asking is the calling plugin's job.
struct AdminServices: Sendable {
    let context: AdminContext

    /// `services[index]` of the manifest: `isAdmin`, then the routes run for an actor.
    static let names = ["isAdmin"] + acting.map(\.name)
    static let acting: [(name: String, path: String)] = [
        ("listUsers", "/admin/list-users"), ("getUser", "/admin/get-user"), ("listUserSessions", "/admin/list-user-sessions"),
        ("revokeUserSession", "/admin/revoke-user-session"), ("banUser", "/admin/ban-user"), ("unbanUser", "/admin/unban-user"),
        ("setRole", "/admin/set-role"),
    ]

    /// Service `index` of `plugin` answering `request`.
    func answer(_ index: Int, _ request: JSONValue, plugin: AdminPlugin) throws -> JSONValue {
        guard index > 0 else { return try isAdmin(request) }
        let path = Self.acting[index - 1].path
        guard let route = AdminPlugin.routes.firstIndex(where: { $0.route.path == path }) else {
            throw PluginError(status: 500, code: "NOT_FOUND", message: "No route \(path)")
        }
        return try act(route: route, request, plugin: plugin)
    }

    /// `{userId}` → `{admin}`: a role in `adminRoles` or listed in `adminUserIds`; false for an unknown user.
    func isAdmin(_ request: JSONValue) throws -> JSONValue {
        let user = try request["userId"]?.stringValue.flatMap(context.user)
        return ["admin": .bool(user.map(context.isAdministrator) ?? false)]
    }

    /// Route `index`'s answer body to `request` (its body, or for a GET its query, strings or numbers)
    /// made by `actorUserId`; its refusal as a `PluginError`. An unknown actor is 401 `UNAUTHORIZED`.
    private func act(route index: Int, _ request: JSONValue, plugin: AdminPlugin) throws -> JSONValue {
        let endpoint = AdminPlugin.routes[index]
        var fields = request.objectValue ?? [:]
        let actor = try signedIn(fields.removeValue(forKey: "actorUserId")?.stringValue,
                                 sessionToken: fields.removeValue(forKey: "actorSessionToken")?.stringValue)
        let input: (String, JSONValue) = endpoint.route.method == "GET" ? ("query", PluginCall.query(from: .object(fields))) : ("body", .object(fields))
        let answer = try endpoint.handler(plugin, PluginCall(kind: .endpoint(index), envelope: ["session": actor, input.0: input.1]))
        if let error = answer.json["error"] {
            throw PluginError(status: error["status"]?.intValue ?? 400, code: error["code"]?.stringValue ?? "", message: error["message"]?.stringValue ?? "")
        }
        return answer.json["body"] ?? [:]
    }

    /// `{session, user}` of the actor: the session is the actor's own live one named by
    /// `sessionToken` in API form (the routes shape session rows like it), `{}` without one; null
    /// for an unknown user.
    private func signedIn(_ userID: String?, sessionToken: String?) throws -> JSONValue {
        guard let userID, let user = try context.user(userID) else { return .null }
        let found = try sessionToken.flatMap { try context.host.call("sessions.find", ["token": .string($0)])["session"]?.nonNull }
        let session = found.flatMap { $0["session"]?["userId"]?.stringValue == userID ? $0["session"] : nil }
        return ["session": session ?? [:], "user": user]
    }
}
