import GatehouseJSON
import HTTPTypes

/// Better Auth's `originCheckMiddleware` and `formCsrfMiddleware`, plus validation of the
/// callback and redirect URLs a request carries.
enum OriginCheck {
    static let callbackKeys: [(key: String, code: String)] = [
        ("callbackURL", "INVALID_CALLBACK_URL"), ("redirectTo", "INVALID_REDIRECT_URL"),
        ("errorCallbackURL", "INVALID_ERROR_CALLBACK_URL"), ("newUserCallbackURL", "INVALID_NEW_USER_CALLBACK_URL"),
    ]

    static func run(_ ctx: EndpointContext) throws {
        let safeMethod = [.get, .head, .options].contains(ctx.method)
        let hasCookies = ctx.headers[.cookie] != nil
        if ctx.endpoint?.originCheck == false {
            // The route takes cross-site POSTs by design; callback URLs are still checked.
        } else if !safeMethod, hasCookies {
            try requireTrustedOrigin(ctx)
        } else if !safeMethod, ctx.endpoint?.formCSRF == true {
            try formCSRF(ctx)
        }
        try checkCallbackURLs(ctx)
    }

    /// Without cookies: block cross-site navigations; any browser signal forces the origin check.
    private static func formCSRF(_ ctx: EndpointContext) throws {
        let site = ctx.headers[HTTPField.Name("sec-fetch-site")!]
        let mode = ctx.headers[HTTPField.Name("sec-fetch-mode")!]
        if site == "cross-site", mode == "navigate" {
            throw CoreErrors.error("CROSS_SITE_NAVIGATION_LOGIN_BLOCKED", .forbidden)
        }
        let browserSignals = site != nil || mode != nil || ctx.headers[HTTPField.Name("sec-fetch-dest")!] != nil
            || ctx.headers[.origin] != nil || ctx.headers[.referer] != nil
        if browserSignals { try requireTrustedOrigin(ctx) }
    }

    private static func requireTrustedOrigin(_ ctx: EndpointContext) throws {
        let origin = ctx.headers[.origin] ?? ctx.headers[.referer].flatMap(TrustedOrigins.origin(of:))
        guard let origin, origin != "null", !origin.isEmpty else {
            throw CoreErrors.error("MISSING_OR_NULL_ORIGIN", .forbidden)
        }
        guard ctx.auth.trustedOrigins.isTrusted(origin: origin) else {
            ctx.auth.logger.info("rejected untrusted origin", metadata: ["origin": "\(origin)", "path": "\(ctx.path)"])
            throw CoreErrors.error("INVALID_ORIGIN", .forbidden)
        }
    }

    private static func checkCallbackURLs(_ ctx: EndpointContext) throws {
        for (key, code) in callbackKeys {
            // An empty value is no target, as in Better Auth (where "" is falsy): it is dropped, so
            // the route (core or plugin) applies its default.
            if ctx.body[key]?.stringValue == "", var members = ctx.body.objectValue {
                members[key] = nil
                ctx.body = .object(members)
            }
            if ctx.query[key] == "" { ctx.query[key] = nil }
            for value in [ctx.body[key], ctx.query[key].map(JSONValue.string)].compactMap({ $0 }) {
                guard let url = value.stringValue else {
                    throw APIError(.badRequest, "VALIDATION_ERROR", "[body.\(key)] Invalid input: expected string, received \(value.typeName)")
                }
                if !ctx.auth.trustedOrigins.isAllowedRedirect(url) {
                    throw CoreErrors.error(code, .forbidden)
                }
            }
        }
    }
}
