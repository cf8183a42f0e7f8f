import GatehouseJSON
import HTTPTypes

/// What an endpoint or hook answers before it becomes an HTTP response.
public struct APIResponse: Sendable {
    public enum Body: Sendable {
        case json(JSONValue)
        case html(String)
        case text(String, contentType: String)
        case empty
    }

    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: Body

    public init(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> APIResponse {
        APIResponse(status: status, body: .json(value))
    }

    /// Adds each of `fields` whose name the answer does not carry yet (a route's declared headers).
    public mutating func addMissingHeaders(_ fields: HTTPFields) {
        for field in fields where headers[field.name] == nil { headers.append(field) }
    }

    /// A 302 to `location`, as `ctx.redirect` does.
    public static func redirect(_ location: String) -> APIResponse {
        var headers = HTTPFields()
        headers[.location] = location
        return APIResponse(status: .found, headers: headers, body: .empty)
    }

    public init(error: APIError) {
        self.init(status: error.status, body: error.emptyBody ? .empty : .json(error.body))
    }

    /// The JSON body, if this is a JSON answer (after-hooks read it).
    public var json: JSONValue? {
        if case .json(let value) = body { return value }
        return nil
    }
}
