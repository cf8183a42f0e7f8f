import Foundation
import GatehouseJSON
import PluginKit

/// What every page shares: the host, the settings, the URLs, the renderer and the calls to the
/// plugins the console stands on.
struct ConsoleContext: Sendable {
    let host: PluginHost
    let settings: ConsoleSettings
    let db: PluginDatabase
    let paths: ConsolePaths
    let renderer: PageRenderer
    let flashes: FlashMessages

    init(host: PluginHost, settings: ConsoleSettings, basePath: String) throws {
        self.host = host
        self.settings = settings
        db = PluginDatabase(host: host)
        paths = ConsolePaths(basePath: basePath)
        renderer = try PageRenderer(paths: paths)
        flashes = FlashMessages(host: host)
    }

    /// The page as HTML for `viewer`, with the status message waiting for their console session.
    func show(_ page: Page, to viewer: Operator?) -> PluginAnswer {
        renderer.render(page, viewer: viewer, flash: viewer.flatMap { flashes.take(session: $0.sessionID) })
    }

    /// After an action: the status message for the next page, and 303 to it.
    func done(_ message: String, for viewer: Operator, returnTo location: String) -> PluginAnswer {
        flashes.put(message, session: viewer.sessionID)
        return renderer.redirect(to: location)
    }

    /// A service of the admin plugin run for `actor`, with the admin plugin's permission checks,
    /// refusals and `admin.*` events (its `actorUserId`).
    func admin(_ service: String, for actor: Operator, _ fields: [(String, JSONValue)]) throws -> JSONValue {
        try host.callService(plugin: "admin", service: service,
                             request: .object(.init(uniqueKeysWithValues: [("actorUserId", .string(actor.userID)),
                                                                           ("actorSessionToken", .string(actor.token))] + fields)))
    }

    /// A service of an optional plugin; nil when that plugin is not loaded.
    func optionalService(_ plugin: String, _ service: String, _ request: JSONValue = [:]) throws -> JSONValue? {
        do {
            return try host.callService(plugin: plugin, service: service, request: request)
        } catch is PluginNotLoaded {
            return nil
        }
    }

    /// The user in API form, or nil.
    func user(id: String) throws -> JSONValue? {
        try host.call("users.find", ["id": .string(id)])["user"]?.nonNull
    }
}

/// The signed-in administrator of a console request.
struct Operator: Sendable {
    let userID: String
    let email: String
    /// The console session's row id (flash messages are keyed by it) and token (never shown).
    let sessionID: String
    let token: String
}

/// One request as a page handler sees it: the call, and the administrator when the route needs one.
struct Visit: Sendable {
    let call: PluginCall
    let viewer: Operator?

    /// The administrator; routes declared for operators always have one.
    var actor: Operator {
        get throws {
            guard let viewer else { throw ConsoleError.unauthorized.failure }
            return viewer
        }
    }

    func param(_ name: String) throws -> String {
        guard let value = call.param(name), !value.isEmpty else { throw ConsoleError.notFound.failure }
        return value
    }

    /// A form field, trimmed; "" when absent.
    func field(_ name: String) -> String {
        (call.body[name]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A query parameter, trimmed; "" when absent.
    func query(_ name: String) -> String {
        (call.query(name) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Display helpers for JSON values in pages.
extension JSONValue {
    /// Text for a table cell: strings as they are, numbers and booleans spelled out, null as "".
    var displayText: String {
        switch self {
        case .null: ""
        default: stringValue ?? (boolValue.map { $0 ? "yes" : "no" }) ?? serialized()
        }
    }
}

/// Times as the console shows them: `2026-11-23 01:26:20 UTC`, with the ISO value for `<time datetime>`.
enum DisplayTime {
    static func text(_ value: JSONValue?) -> String {
        guard let date = ISODate.parse(value) else { return value?.displayText ?? "" }
        return date.formatted(Date.ISO8601FormatStyle(dateSeparator: .dash, dateTimeSeparator: .space, timeZone: .gmt)
            .year().month().day().time(includingFractionalSeconds: false)) + " UTC"
    }

    /// `{text, iso, known}` for the `time` partial (`known` false for a missing date).
    static func value(_ value: JSONValue?) -> [String: Any] {
        ["text": text(value), "iso": value?.stringValue ?? "", "known": value?.nonNull != nil]
    }
}
