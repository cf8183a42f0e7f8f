import GatehouseJSON
import PluginKit

/// What the plugin adds to the server (docs/plugin-abi.md §8): the `/console/*` pages, the
/// plugins it calls, the plugin directory it manages (ABI 1.10), its sign-in rate limit and codes.
enum ConsoleManifest {
    /// One route's declaration.
    struct Route: Sendable {
        let method: String
        let path: String
        let summary: String
        /// Besides 200 (and what the host's pipeline adds to every route).
        let statuses: [Int]

        /// A page's or an action's: redirects to the sign-in page or back after an action, the
        /// refusals the console answers as HTML pages (its own and those of the plugins it calls).
        static let pageStatuses = [303, 400, 401, 403, 404, 409, 429]

        /// Scripts and styles from the console's own origin only (no inline ones, no eval), forms
        /// posted only to it, never framed; nothing cached, no content sniffing, no Referer to
        /// others. Declared per route (ABI 1.11), so the host's own answers on these paths (the
        /// sign-in rate limit's 429, a body too large) carry them too.
        static let securityHeaders: JSONValue = [
            "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
        ]

        var json: JSONValue {
            var entry: [(String, JSONValue)] = [
                ("method", .string(method)), ("path", .string(path)), ("auth", "none"), ("summary", .string(summary)),
                ("envelope", ["params", "query", "headers", "body", "ip"]), ("statuses", .array(statuses.map(JSONValue.int))),
                ("responseHeaders", Self.securityHeaders),
            ]
            if method == "POST" {
                // Forms; the console checks Origin itself, more strictly than the host's trusted
                // origins (only the baseURL's own origin).
                entry += [("acceptsForm", true), ("originCheck", false)]
            }
            return .object(.init(uniqueKeysWithValues: entry))
        }
    }

    static func json(routes: [Route]) -> JSONValue {
        [
            "endpoints": .array(routes.map(\.json)),
            "uses": [
                ["plugin": "admin"],
                ["plugin": "organization", "optional": true],
                ["plugin": "audit-log", "optional": true],
                ["plugin": "webhooks", "optional": true],
                ["plugin": "two-factor", "optional": true],
            ],
            "managesPlugins": true,
            "events": SecondFactor.events,
            // Close to the core's sign-in (3 per 10 s and address) when rate limiting is on; the
            // limiter counts every method, and a sign-in with a code takes a GET and two POSTs.
            "rateLimit": [["path": "/console/sign-in", "window": 10, "max": 5]],
            "errorCodes": ConsoleError.manifestEntries,
        ]
    }
}
