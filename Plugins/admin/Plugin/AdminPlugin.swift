import GatehouseJSON
import PluginKit

/// Better Auth 1.7's admin plugin: user management, roles and permissions, bans enforced on every
/// sign-in by the host's sign-in hold, impersonation, and `admin.*` audit events for every change;
/// its services (`AdminServices`) run the routes for an administrator another plugin names.
struct AdminPlugin: GatehousePlugin {
    static let id = "admin"
    static let version = "1.0.0"
    static let name = "Admin"
    static let manifest = AdminManifest.json(routes: routes.map { $0.route }, services: AdminServices.names)

    /// A route and the code that serves it.
    struct Endpoint: Sendable {
        let route: AdminManifest.Route
        let handler: @Sendable (AdminPlugin, PluginCall) throws -> PluginAnswer

        init(_ route: AdminManifest.Route, _ handler: @escaping @Sendable (AdminPlugin, PluginCall) throws -> PluginAnswer) {
            self.route = route
            self.handler = handler
        }
    }

    static let routes: [Endpoint] = {
        typealias Route = AdminManifest.Route
        let property = AdminManifest.property
        let userID = property("userId", "string", true, "The user id")
        return [
            Endpoint(Route(method: "POST", path: "/admin/create-user", summary: "Create a new user", body: [
                property("email", "string", true, "The email of the user"),
                property("password", "string", false, "The password of the user; without one the user gets no credential account"),
                property("name", "string", true, "The name of the user"),
                property("data", "object", false, "Extra user fields, including plugins' fields; role may be a string or an array of strings"),
            ]), { try $0.users.create($1) }),
            Endpoint(Route(method: "GET", path: "/admin/list-users", summary: "List users", envelope: ["session", "query"], query: [
                property("searchValue", "string", false, "The value to search for"),
                property("searchField", "string", false, "email (default) or name"),
                property("searchOperator", "string", false, "contains (default), starts_with or ends_with"),
                property("limit", "string", false, "The number of users to return"),
                property("offset", "string", false, "The offset to start from"),
                property("sortBy", "string", false, "The field to sort by (default createdAt)"),
                property("sortDirection", "string", false, "asc (default) or desc"),
                property("filterField", "string", false, "The field to filter by (default email)"),
                property("filterValue", "string", false, "The value to filter by; comma-separated for in and not_in"),
                property("filterOperator", "string", false, "eq (default), ne, lt, lte, gt, gte, in, not_in, contains, starts_with or ends_with"),
            ]), { try $0.listing.list($1) }),
            Endpoint(Route(method: "GET", path: "/admin/get-user", summary: "Get an existing user", envelope: ["session", "query"],
                           query: [property("id", "string", true, "The id of the user")]), { try $0.users.get($1) }),
            Endpoint(Route(method: "POST", path: "/admin/update-user", summary: "Update a user", body: [
                userID, property("data", "object", true, "The user data to update"),
            ]), { try $0.updates.update($1) }),
            Endpoint(Route(method: "POST", path: "/admin/set-role", summary: "Set the role of a user; role is a string or an array of strings",
                           body: [userID]), { try $0.updates.setRole($1) }),
            Endpoint(Route(method: "POST", path: "/admin/ban-user", summary: "Ban a user", body: [
                userID, property("banReason", "string", false, "The reason for the ban"),
                property("banExpiresIn", "number", false, "The number of seconds until the ban expires"),
            ]), { try $0.bans.ban($1) }),
            Endpoint(Route(method: "POST", path: "/admin/unban-user", summary: "Unban a user", body: [userID]), { try $0.bans.unban($1) }),
            Endpoint(Route(method: "POST", path: "/admin/list-user-sessions", summary: "List user sessions", body: [userID]), { try $0.sessions.list($1) }),
            Endpoint(Route(method: "POST", path: "/admin/revoke-user-session", summary: "Revoke a user session",
                           body: [property("sessionToken", "string", true, "The session token")]), { try $0.sessions.revoke($1) }),
            Endpoint(Route(method: "POST", path: "/admin/revoke-user-sessions", summary: "Revoke all user sessions", body: [userID]),
                     { try $0.sessions.revokeAll($1) }),
            Endpoint(Route(method: "POST", path: "/admin/impersonate-user", summary: "Impersonate a user", envelope: ["session", "body", "headers", "ip"],
                           body: [userID]), { try $0.impersonation.start($1) }),
            Endpoint(Route(method: "POST", path: "/admin/stop-impersonating", summary: "Stop impersonating and return to the admin session",
                           auth: "session", envelope: ["session", "headers"]), { try $0.impersonation.stop($1) }),
            Endpoint(Route(method: "POST", path: "/admin/remove-user", summary: "Delete a user and all their sessions and accounts", body: [userID]),
                     { try $0.users.remove($1) }),
            Endpoint(Route(method: "POST", path: "/admin/set-user-password", summary: "Set a user's password", body: [
                property("newPassword", "string", true, "The new password"), userID,
            ]), { try $0.users.setPassword($1) }),
            Endpoint(Route(method: "POST", path: "/admin/has-permission", summary: "Check if the user has permission", body: [
                property("permissions", "object", false, "The permissions to check: {resource: [actions]}"),
            ]), { try $0.permissions.check($1) }),
        ]
    }()

    /// Host codes of a refused `data` or `where` value: the client's input, so a 400.
    private static let inputRefusals: Set<String> = ["VALIDATION_ERROR", "UNKNOWN_FIELD"]

    let users: Users
    let updates: UserUpdates
    let listing: UserListing
    let bans: Bans
    let sessions: Sessions
    let impersonation: Impersonation
    let permissions: PermissionCheck
    let services: AdminServices

    init(host: PluginHost, settings: JSONValue) throws {
        let context = AdminContext(host: host, settings: try AdminSettings(settings))
        bans = Bans(context: context)
        users = Users(context: context, bans: bans)
        updates = UserUpdates(context: context, bans: bans)
        listing = UserListing(context: context)
        sessions = Sessions(context: context)
        impersonation = Impersonation(context: context)
        permissions = PermissionCheck(context: context)
        services = AdminServices(context: context)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        do {
            switch call.kind {
            case .endpoint(let index) where Self.routes.indices.contains(index):
                return try Self.routes[index].handler(self, call)
            case .afterHook(let index):
                switch AdminManifest.AfterHook(rawValue: index) {
                case .listSessions: return sessions.hideImpersonations(call)
                case .newSession: return bans.checkBan(call)
                case nil: return .keep
                }
            case .job:
                try bans.sync()
                return PluginAnswer()
            case .service(let index) where AdminServices.names.indices.contains(index):
                return .result(try services.answer(index, call.envelope["request"] ?? [:], plugin: self).objectValue ?? [:])
            default:
                return .error(status: 404, code: "NOT_FOUND", message: "Not found")
            }
        } catch let failure as PluginError where failure.status == 500 && Self.inputRefusals.contains(failure.code) {
            throw PluginError(code: failure.code, message: failure.message)
        } catch let failure as PluginError where failure.code == "UNIQUE_VIOLATION" {
            // Another request took the address or username between the check and the write.
            throw PluginError(status: 409, code: failure.code, message: "A value in the request is already in use")
        } catch let failure as PluginError where failure.code == "DATABASE_UNAVAILABLE" {
            throw PluginError(status: 503, code: failure.code, message: failure.message)
        }
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: AdminPlugin.self) }
