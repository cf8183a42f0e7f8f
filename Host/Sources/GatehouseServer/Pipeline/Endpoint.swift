import HTTPTypes

/// Who may call an endpoint (Better Auth's session middlewares).
public enum AuthRequirement: String, Sendable {
    case none
    /// Any valid session; the cookie cache may answer.
    case session
    /// A session created less than `session.freshAge` ago.
    case freshSession
    /// A session confirmed against the database, bypassing the cookie cache.
    case sensitiveSession
}

/// One route: method, path (with `:param` segments) and its handler.
public struct Endpoint: Sendable {
    public typealias Handler = @Sendable (EndpointContext) async throws -> APIResponse

    public let method: HTTPRequest.Method
    public let path: String
    public var auth: AuthRequirement
    /// Also accept `application/x-www-form-urlencoded` bodies (sign-in, sign-up).
    public var acceptsForm: Bool
    /// Apply Better Auth's form-CSRF rule (block cross-site navigations without cookies).
    public var formCSRF: Bool
    /// Apply the trusted-origin checks to unsafe methods (off only for a plugin route that takes
    /// cross-site POSTs by design, such as a SAML assertion consumer service).
    public var originCheck: Bool
    /// Hand the body over unparsed (`EndpointContext.rawBody`): no media-type check, no JSON
    /// parsing, no body validation; the handler answers malformed input itself.
    public var rawBody: Bool = false
    /// The path ends in `/**`: the endpoint serves every path below that prefix that no other
    /// route serves, with the rest of the path in `params["**"]`.
    public var servesSubpaths: Bool = false
    /// A well-known URI (`/.well-known/<name>`) served outside the base path, at
    /// `/.well-known/<name>{basePath}` (RFC 8414 §3.1): OAuth authorization server metadata.
    public var wellKnown: Bool = false
    /// A path ending in `/` (`/console/`), served exactly (ABI 1.10); any other path with a
    /// trailing slash is answered 404 before routing.
    public var servesTrailingSlash: Bool = false
    public var body: BodySchema?
    public var query: BodySchema?
    public var summary: String
    public var tag: String
    /// What the handler itself may answer besides 200 (redirects, 404, 409, 422...), for the
    /// OpenAPI document; the pipeline's own answers (400, 401, 403, 413, 415, 429, 503) are
    /// derived from the other properties (`OperationResponses`).
    public var statuses: [HTTPResponse.Status]
    /// Headers added to every answer of the route that does not set them itself, the pipeline's
    /// own refusals included (rate limit, body checks, database unavailable): a plugin's HTML
    /// pages keep their security headers on every answer (ABI 1.11).
    public var responseHeaders = HTTPFields()
    public let handler: Handler

    public init(
        _ method: HTTPRequest.Method, _ path: String, auth: AuthRequirement = .none, acceptsForm: Bool = false,
        formCSRF: Bool = false, originCheck: Bool = true, body: BodySchema? = nil, query: BodySchema? = nil, summary: String, tag: String = "Default",
        statuses: [HTTPResponse.Status] = [], handler: @escaping Handler
    ) {
        self.method = method
        self.path = path
        self.auth = auth
        self.acceptsForm = acceptsForm
        self.formCSRF = formCSRF
        self.originCheck = originCheck
        self.body = body
        self.query = query
        self.summary = summary
        self.tag = tag
        self.statuses = statuses
        self.handler = handler
    }
}
