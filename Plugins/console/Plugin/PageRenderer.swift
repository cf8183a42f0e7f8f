import GatehouseJSON
import Mustache
import PluginKit

/// One HTML page to answer: its template (which inherits `layout`), `<title>` and `<h1>`, the
/// navigation entry it belongs to, its values, status and the refusal it shows.
struct Page {
    let template: String
    let title: String
    var section: Section?
    var values: [String: Any] = [:]
    var status = 200
    /// Shown in the page's `role="alert"` element with its status and code.
    var alert: PluginError?

    /// The navigation's entries, in order.
    enum Section: CaseIterable {
        case dashboard, users, organizations, plugins, webhooks, audit

        var label: String {
            switch self {
            case .dashboard: "Dashboard"
            case .users: "Users"
            case .organizations: "Organizations"
            case .plugins: "Plugins"
            case .webhooks: "Webhooks"
            case .audit: "Audit log"
            }
        }

        func href(_ paths: ConsolePaths) -> String {
            switch self {
            case .dashboard: paths.home
            case .users: paths.page("users")
            case .organizations: paths.page("organizations")
            case .plugins: paths.page("plugins")
            case .webhooks: paths.page("webhooks")
            case .audit: paths.page("audit")
            }
        }
    }
}

/// Renders pages with the mustache library. The security headers are the routes' own
/// (`ConsoleManifest.securityHeaders`): the host adds them to every answer.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let paths: ConsolePaths

    init(paths: ConsolePaths) throws {
        self.paths = paths
        var templates: [String: MustacheTemplate] = [:]
        for (name, source) in ConsoleFiles.templates {
            do {
                templates[name] = try MustacheTemplate(string: source)
            } catch {
                throw PluginError(code: "INVALID_TEMPLATE", message: "console template \(name) does not parse: \(error)")
            }
        }
        library = MustacheLibrary(templates: templates)
    }

    /// The page as HTML, for `viewer` (nil: the navigation is left out) with a one-time `flash`.
    func render(_ page: Page, viewer: Operator?, flash: String?) -> PluginAnswer {
        var context = page.values
        context["title"] = page.title
        context["console"] = paths.root
        if let viewer {
            let nav: [[String: Any]] = Page.Section.allCases.map {
                ["label": $0.label, "href": $0.href(paths), "current": $0 == page.section]
            }
            context["operator"] = ["email": viewer.email, "nav": nav] as [String: Any]
        }
        if let flash { context["flash"] = ["text": flash] }
        if let alert = page.alert {
            context["alert"] = ["status": String(alert.consoleStatus), "code": Self.shownCode(alert), "message": Self.shownMessage(alert)]
        }
        guard let html = library.render(context, withTemplate: page.template) else {
            // A page naming a template that ConsoleFiles does not hold: a bug, never a blank page.
            return .error(status: 500, code: "INTERNAL_SERVER_ERROR", message: "The console has no template \(page.template)")
        }
        return .text(html, contentType: "text/html; charset=utf-8", status: page.status)
    }

    /// 303 to a console page.
    func redirect(to location: String) -> PluginAnswer {
        .status(303).header("location", location)
    }

    /// A static file.
    func asset(_ text: String, contentType: String) -> PluginAnswer {
        .text(text, contentType: contentType)
    }

    /// The page for a refusal or a fault with nothing else to show.
    func errorPage(_ error: PluginError, signedIn: Bool) -> Page {
        let status = error.consoleStatus
        return Page(template: "error", title: Self.title(status), values: [
            "back": signedIn ? paths.home : paths.signIn, "backLabel": signedIn ? "Back to the dashboard" : "Sign in",
        ], status: status, alert: error)
    }

    /// A refusal's own code; a fault's is the console's.
    static func shownCode(_ error: PluginError) -> String {
        switch error.consoleStatus {
        case 503: ConsoleError.databaseUnavailable.rawValue
        case 500...: ConsoleError.internalError.rawValue
        default: error.code
        }
    }

    /// A refusal's own message; a fault's detail stays in the log.
    static func shownMessage(_ error: PluginError) -> String {
        switch error.consoleStatus {
        case 503: ConsoleError.databaseUnavailable.message
        case 500...: ConsoleError.internalError.message
        default: error.message
        }
    }

    static func title(_ status: Int) -> String {
        switch status {
        case 400: "Bad request"
        case 401: "Sign-in required"
        case 403: "Forbidden"
        case 404: "Not found"
        case 409: "Conflict"
        case 429: "Too many requests"
        case 503: "Service unavailable"
        case 500...: "Server error"
        default: "Request refused"
        }
    }
}
