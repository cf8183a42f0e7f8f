import GatehouseJSON
import PluginKit

/// The operator console: server-rendered HTML pages at `{basePath}/console/` for the admin
/// plugin's administrators, on the admin, organization, audit-log, webhooks and two-factor
/// plugins' services and the host's plugin directory. Every action is a plain form; the console
/// keeps its own path-scoped, SameSite=Strict session and checks the Origin of every POST itself.
struct ConsolePlugin: GatehousePlugin {
    static let id = "console"
    static let version = "1.0.0"
    static let name = "Operator console"
    static let manifest = ConsoleManifest.json(routes: routes.map(\.route))

    /// Who may reach a route: anyone (the sign-in page, the static files), or only a signed-in
    /// administrator (everything else: 303 to the sign-in page for a GET, 401/403 for a POST).
    enum Access: Sendable { case anyone, administrator }

    /// A route and the code that serves it.
    struct Endpoint: Sendable {
        let route: ConsoleManifest.Route
        let access: Access
        let handler: @Sendable (ConsolePlugin, Visit) throws -> PluginAnswer

        init(_ method: String, _ path: String, _ summary: String, _ access: Access = .administrator,
             statuses: [Int] = ConsoleManifest.Route.pageStatuses,
             _ handler: @escaping @Sendable (ConsolePlugin, Visit) throws -> PluginAnswer) {
            route = ConsoleManifest.Route(method: method, path: path, summary: summary, statuses: statuses)
            self.access = access
            self.handler = handler
        }
    }

    static let routes: [Endpoint] = [
        Endpoint("GET", "/console", "The console (redirects to /console/)", .anyone, statuses: [303]) { plugin, _ in
            plugin.context.renderer.redirect(to: plugin.context.paths.home)
        },
        Endpoint("GET", "/console/", "Console dashboard") { try $0.dashboard.show($1) },
        Endpoint("GET", "/console/sign-in", "Console sign-in form", .anyone) { try $0.signIn.form($1) },
        Endpoint("POST", "/console/sign-in", "Console sign-in: password, then a two-factor code", .anyone) { try $0.signIn.submit($1) },
        Endpoint("POST", "/console/sign-out", "End the console session", .anyone) { try $0.signIn.signOut($1) },
        Endpoint("GET", "/console/users", "Users, searched by e-mail or name") { try $0.users.show($1) },
        Endpoint("GET", "/console/users/:id", "A user: profile, accounts, sessions") { try $0.userDetail.show($1) },
        Endpoint("POST", "/console/users/:id/ban", "Ban a user") { try $0.userActions.ban($1) },
        Endpoint("POST", "/console/users/:id/unban", "Unban a user") { try $0.userActions.unban($1) },
        Endpoint("POST", "/console/users/:id/role", "Set a user's role") { try $0.userActions.setRole($1) },
        Endpoint("POST", "/console/users/:id/sessions/:sessionId/revoke", "Revoke a user's session") { try $0.userActions.revokeSession($1) },
        Endpoint("GET", "/console/organizations", "Organizations") { try $0.organizations.list($1) },
        Endpoint("GET", "/console/organizations/:id", "An organization: members and invitations") { try $0.organizations.detail($1) },
        Endpoint("GET", "/console/plugins", "Plugins enabled and available") { try $0.plugins.show($1) },
        Endpoint("POST", "/console/plugins/:id/enable", "Enable a plugin") { try $0.plugins.enable($1) },
        Endpoint("POST", "/console/plugins/:id/disable", "Disable a plugin") { try $0.plugins.disable($1) },
        Endpoint("GET", "/console/webhooks", "Webhook deliveries") { try $0.webhooks.show($1) },
        Endpoint("POST", "/console/webhooks/:id/redeliver", "Send a dead webhook delivery again") { try $0.webhooks.redeliver($1) },
        Endpoint("GET", "/console/audit", "The audit log") { try $0.audit.show($1) },
        Endpoint("GET", "/console/console.js", "The console's script", .anyone, statuses: []) { plugin, _ in
            plugin.context.renderer.asset(ConsoleFiles.script, contentType: "text/javascript; charset=utf-8")
        },
        Endpoint("GET", "/console/console.css", "The console's stylesheet", .anyone, statuses: []) { plugin, _ in
            plugin.context.renderer.asset(ConsoleFiles.stylesheet, contentType: "text/css; charset=utf-8")
        },
        Endpoint("GET", "/console/**", "Any other console page: 404", statuses: [303, 404]) { _, _ in throw ConsoleError.notFound.failure },
    ]

    let context: ConsoleContext
    let sessions: ConsoleSessions
    let originGuard: OriginGuard
    let signIn: SignIn
    let secondFactor: SecondFactor
    let dashboard: DashboardPage
    let users: UsersPage
    let userDetail: UserDetailPage
    let userActions: UserActions
    let organizations: OrganizationsPage
    let plugins: PluginsPage
    let webhooks: WebhooksPage
    let audit: AuditPage

    init(host: PluginHost, settings: JSONValue) throws {
        let info = try host.call("host.info", [:])
        context = try ConsoleContext(host: host, settings: try ConsoleSettings(settings), basePath: info["basePath"]?.stringValue ?? "/api/auth")
        originGuard = OriginGuard(baseURL: info["baseURL"]?.stringValue ?? "")
        sessions = ConsoleSessions(context: context)
        secondFactor = SecondFactor(host: host)
        signIn = SignIn(context: context, sessions: sessions, challenges: SignInChallenges(host: host), secondFactor: secondFactor)
        dashboard = DashboardPage(context: context)
        users = UsersPage(context: context)
        userDetail = UserDetailPage(context: context)
        userActions = UserActions(context: context, detail: userDetail, sessions: sessions)
        organizations = OrganizationsPage(context: context)
        plugins = PluginsPage(context: context)
        webhooks = WebhooksPage(context: context)
        audit = AuditPage(context: context)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        if case .event = call.kind {
            secondFactor.record(call.envelope)
            return .result([:])
        }
        guard case .endpoint(let index) = call.kind, Self.routes.indices.contains(index) else {
            return .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
        let endpoint = Self.routes[index]
        var viewer: Operator?
        do {
            let isPost = endpoint.route.method == "POST"
            // Before anything else, so a cross-origin form changes nothing, not even a sign-in.
            if isPost, !originGuard.allows(call) { throw ConsoleError.invalidOrigin.failure }
            if endpoint.access == .administrator {
                switch try sessions.resolve(call) {
                case .admin(let admin):
                    viewer = admin
                case .notAdmin:
                    if isPost { throw ConsoleError.notAdmin.failure }
                    return context.renderer.redirect(to: context.paths.signIn)
                case .none(let stale):
                    let answer = isPost ? context.show(context.renderer.errorPage(ConsoleError.unauthorized.failure, signedIn: false), to: nil)
                        : context.renderer.redirect(to: context.paths.signIn)
                    return stale ? sessions.expire(on: answer) : answer
                }
            }
            return try endpoint.handler(self, Visit(call: call, viewer: viewer))
        } catch let failure as PluginError {
            if !failure.isRefusal {
                context.host.log(.error, "console: \(call.method) \(call.path) failed: \(failure.code): \(failure.message)")
            }
            return context.show(context.renderer.errorPage(failure, signedIn: viewer != nil), to: viewer)
        } catch {
            context.host.log(.error, "console: \(call.method) \(call.path) failed: \(error)")
            return context.show(context.renderer.errorPage(ConsoleError.internalError.failure, signedIn: viewer != nil), to: viewer)
        }
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: ConsolePlugin.self) }
