import Foundation
import GatehouseJSON

/// `/ok`, `/error` and `/openapi.json`.
enum UtilityRoutes {
    static var endpoints: [Endpoint] { [ok, error, openAPI] }

    static let ok = Endpoint(.get, "/ok", summary: "Liveness of the auth API", tag: "Default") { _ in
        .json(["ok": true])
    }

    static let error = Endpoint(
        .get, "/error", query: BodySchema([.init("error", .string), .init("error_description", .string)]),
        summary: "Human-readable error page for failed redirects", tag: "Default", statuses: [.found]
    ) { ctx in
        if let errorURL = ctx.auth.config.errorURL {
            var url = AuthContext.appending(errorURL, "error", ctx.query["error"] ?? "UNKNOWN")
            if let description = ctx.query["error_description"] { url = AuthContext.appending(url, "error_description", description) }
            return .redirect(url)
        }
        let raw = ctx.query["error"] ?? "UNKNOWN"
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_'-")
        let code = !raw.isEmpty && raw.allSatisfy(allowed.contains) ? raw : "UNKNOWN"
        let page = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head>
            <body><main><h1>Something went wrong</h1><p>Error code: <code>\(code)</code></p></main></body></html>
            """
        return APIResponse(body: .html(page))
    }

    static let openAPI = Endpoint(
        .get, "/openapi.json", summary: "OpenAPI 3.1 description of every registered route", tag: "Default"
    ) { ctx in
        .json(OpenAPIDocument.build(routes: ctx.routes, auth: ctx.auth))
    }
}
