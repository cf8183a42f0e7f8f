import GatehouseJSON
import OrderedCollections

/// What a call answers, built up with chainable methods and sent as the answer envelope.
public struct PluginAnswer: Sendable {
    public private(set) var json: OrderedDictionary<String, JSONValue> = [:]

    public init() {}

    /// Hooks and interceptors: go on with the request unchanged.
    public static var proceed: PluginAnswer { PluginAnswer().setting("action", "proceed") }
    /// After-hooks and onResponse: keep the answer (headers added with `header` still apply).
    public static var keep: PluginAnswer { PluginAnswer().setting("action", "keep") }

    /// A JSON response (endpoints; `respond`/`replace` for hooks).
    public static func json(_ body: JSONValue, status: Int = 200) -> PluginAnswer {
        PluginAnswer().setting("status", .int(status)).setting("body", body)
    }

    /// A text response that is not JSON, sent with its own `contentType` (ABI 1.3), e.g. SAML
    /// metadata as `application/samlmetadata+xml`. A host before 1.3 sends the text as a JSON string.
    public static func text(_ body: String, contentType: String, status: Int = 200) -> PluginAnswer {
        PluginAnswer().setting("status", .int(status)).setting("contentType", .string(contentType)).setting("body", .string(body))
    }

    /// The whole answer is `object` (services and jobs, ABI 1.2: a service's caller receives it
    /// unchanged). A thrown `PluginError` still answers `{error: {status, code, message}}`.
    public static func result(_ object: OrderedDictionary<String, JSONValue>) -> PluginAnswer {
        var answer = PluginAnswer()
        answer.json = object
        return answer
    }

    /// A response with an empty body, e.g. a redirect with a `location` header.
    public static func status(_ status: Int) -> PluginAnswer { PluginAnswer().setting("status", .int(status)) }

    /// An error response `{code, message}`.
    public static func error(status: Int, code: String, message: String) -> PluginAnswer {
        PluginAnswer().setting("error", ["status": .int(status), "code": .string(code), "message": .string(message)])
    }

    /// Before-hooks and middlewares: answer instead of the endpoint.
    public func respond() -> PluginAnswer { setting("action", "respond") }
    /// After-hooks and onResponse: replace the answer.
    public func replace() -> PluginAnswer { setting("action", "replace") }

    public func header(_ name: String, _ value: String) -> PluginAnswer {
        var headers = json["headers"]?.objectValue ?? [:]
        headers[name] = .string(value)
        return setting("headers", .object(headers))
    }

    /// After-hooks and onResponse (ABI 1.9 host): the host may give this same answer, without
    /// calling, to this callback's next requests whose envelope is byte-for-byte the same, for up
    /// to `seconds` (at most 3600). Only for an answer that depends on nothing but its envelope;
    /// an answer with cookies, a patch, a sign-in or an error is never reused.
    public func reusable(for seconds: Int) -> PluginAnswer { setting("reuseFor", .int(seconds)) }

    /// Before-hooks: replace request headers (nil removes one) before the endpoint runs.
    public func patchHeader(_ name: String, _ value: String?) -> PluginAnswer {
        var patch = json["patch"]?.objectValue ?? [:]
        var headers = patch["headers"]?.objectValue ?? [:]
        headers[name] = value.map(JSONValue.string) ?? .null
        patch["headers"] = .object(headers)
        return setting("patch", .object(patch))
    }

    /// Before-hooks: replace the request body.
    public func patchBody(_ body: JSONValue) -> PluginAnswer {
        var patch = json["patch"]?.objectValue ?? [:]
        patch["body"] = body
        return setting("patch", .object(patch))
    }

    /// Sets a cookie named `<prefix>.<name>`; `signed` signs the value with the server secret.
    /// `path` and `sameSite` (`"Strict"` or `"Lax"`, ABI 1.10) replace the host's `Path=/` and
    /// `SameSite=Lax`, to keep a cookie to the plugin's own pages.
    public func cookie(_ name: String, _ value: String, maxAge: Int?, signed: Bool = false, path: String? = nil, sameSite: String? = nil) -> PluginAnswer {
        var cookie: OrderedDictionary<String, JSONValue> = ["name": .string(name), "value": .string(value), "signed": .bool(signed)]
        if let maxAge { cookie["maxAge"] = .int(maxAge) }
        if let path { cookie["path"] = .string(path) }
        if let sameSite { cookie["sameSite"] = .string(sameSite) }
        return appending("cookies", .object(cookie))
    }

    /// Deletes cookie `<prefix>.<name>`; a cookie set with a `path` is deleted with the same one.
    public func expireCookie(_ name: String, path: String? = nil) -> PluginAnswer {
        var cookie: OrderedDictionary<String, JSONValue> = ["name": .string(name), "expire": true]
        if let path { cookie["path"] = .string(path) }
        return appending("cookies", .object(cookie))
    }

    /// Creates a session for `userID` and sets its cookies, as a sign-in does. The host also puts
    /// the new session's token (`tokenKey`) and the session object (`sessionKey`) into the
    /// answer's body under those keys.
    public func signIn(userID: String, rememberMe: Bool = true, tokenKey: String? = nil, sessionKey: String? = nil) -> PluginAnswer {
        var signIn: OrderedDictionary<String, JSONValue> = ["userId": .string(userID), "rememberMe": .bool(rememberMe)]
        if let tokenKey { signIn["tokenKey"] = .string(tokenKey) }
        if let sessionKey { signIn["sessionKey"] = .string(sessionKey) }
        return setting("signIn", .object(signIn))
    }

    /// (ABI 1.5 host) Signs the request in to an existing, live session instead of a new one: the
    /// host sets that session's cookies as a sign-in does and fills `newSession`; `tokenKey` and
    /// `sessionKey` work as in `signIn(userID:)`. An unknown or expired token is answered 400
    /// `INVALID_TOKEN` (one-time tokens hand a session over to another client).
    public func signIn(sessionToken: String, tokenKey: String? = nil, sessionKey: String? = nil) -> PluginAnswer {
        var signIn: OrderedDictionary<String, JSONValue> = ["sessionToken": .string(sessionToken)]
        if let tokenKey { signIn["tokenKey"] = .string(tokenKey) }
        if let sessionKey { signIn["sessionKey"] = .string(sessionKey) }
        return setting("signIn", .object(signIn))
    }

    /// After-hooks: delete the session this request created and its cookie (e.g. a 2FA challenge).
    public func clearSession() -> PluginAnswer { setting("clearSession", true) }

    private func setting(_ key: String, _ value: JSONValue) -> PluginAnswer {
        var copy = self
        copy.json[key] = value
        return copy
    }

    private func appending(_ key: String, _ value: JSONValue) -> PluginAnswer {
        var items = json[key]?.arrayValue ?? []
        items.append(value)
        return setting(key, .array(items))
    }
}
