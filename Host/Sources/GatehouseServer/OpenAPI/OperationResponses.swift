import GatehouseJSON
import HTTPTypes
import OrderedCollections

/// The statuses one endpoint can answer: 200, what the request pipeline answers before or around
/// any handler, and what the endpoint declares its handler answers (`Endpoint.statuses`).
enum OperationResponses {
    /// Sorted by code, without duplicates.
    static func statuses(of endpoint: Endpoint) -> [HTTPResponse.Status] {
        var statuses: [HTTPResponse.Status] = [.ok] + endpoint.statuses
        // 400 and 415: the body is parsed by its media type and validated (unless handed over raw);
        // 400 also for a value the database refuses to store.
        statuses.append(.badRequest)
        if !endpoint.rawBody { statuses.append(.unsupportedMediaType) }
        if endpoint.auth != .none { statuses.append(.unauthorized) }
        // The origin and form-CSRF checks, and callback URLs in the body or query, on every route.
        statuses.append(.forbidden)
        statuses += [.contentTooLarge, .tooManyRequests, .serviceUnavailable]
        var seen = Set<Int>()
        return statuses.filter { seen.insert($0.code).inserted }.sorted { $0.code < $1.code }
    }

    /// The `responses` object of the endpoint's OpenAPI operation.
    static func document(_ endpoint: Endpoint) -> JSONValue {
        var responses = OrderedDictionary<String, JSONValue>()
        for status in statuses(of: endpoint) {
            responses[String(status.code)] = response(status)
        }
        return .object(responses)
    }

    private static func response(_ status: HTTPResponse.Status) -> JSONValue {
        let description = JSONValue.string(descriptions[status.code] ?? reasonPhrase(status))
        switch status.kind {
        case .successful:
            return ["description": description, "content": ["application/json": ["schema": [:]]]]
        case .redirection:
            return ["description": description, "headers": ["Location": ["schema": ["type": "string"]]]]
        default:
            return ["description": description, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]]
        }
    }

    /// What the pipeline-wide statuses mean here (the others keep their reason phrase).
    private static let descriptions: [Int: String] = [
        200: "Success",
        400: "Invalid input: malformed JSON, a body or query that does not fit the schema, or a value that cannot be stored",
        401: "Not authenticated: no valid session, or wrong credentials",
        403: "Forbidden: untrusted origin, cross-site form, untrusted callback URL, or a session not fresh enough",
        413: "Request body larger than 1 MiB",
        415: "Request body in a media type this route does not take",
        429: "Too many requests (rate limit)",
        503: "Database unavailable",
    ]

    /// A plugin's statuses arrive as bare codes (`Status(code:)` carries no phrase).
    private static func reasonPhrase(_ status: HTTPResponse.Status) -> String {
        if !status.reasonPhrase.isEmpty { return status.reasonPhrase }
        return knownStatuses.first { $0.code == status.code }?.reasonPhrase ?? "Status \(status.code)"
    }

    private static let knownStatuses: [HTTPResponse.Status] = [
        .created, .accepted, .noContent, .movedPermanently, .found, .seeOther, .temporaryRedirect, .permanentRedirect,
        .notFound, .methodNotAllowed, .notAcceptable, .conflict, .gone, .preconditionFailed,
        .unprocessableContent, .internalServerError, .notImplemented, .badGateway, .gatewayTimeout,
    ]
}
