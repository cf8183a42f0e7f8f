import Foundation
import GatehouseJSON
import HTTPTypes
import OrderedCollections

/// The JSON envelopes that cross the ABI (docs/plugin-abi.md): what the host sends a plugin
/// about a request, and how the plugin's answer is applied.
enum PluginEnvelope {
    /// The request as a plugin sees it; `response` for after-hooks and onResponse.
    /// `members` limits the envelope to what the callback declared it needs (nil: everything).
    static func request(_ ctx: EndpointContext, response: APIResponse? = nil, members: Set<String>? = nil) -> JSONValue {
        func wanted(_ name: String) -> Bool { members?.contains(name) ?? true }
        var envelope: OrderedDictionary<String, JSONValue> = [:]
        if wanted("method") { envelope["method"] = .string(ctx.method.rawValue) }
        if wanted("path") { envelope["path"] = .string(ctx.path) }
        if wanted("params") { envelope["params"] = .object(.init(uniqueKeysWithValues: ctx.params.map { ($0.key, .string($0.value)) })) }
        if wanted("query") { envelope["query"] = .object(.init(uniqueKeysWithValues: ctx.query.map { ($0.key, .string($0.value)) })) }
        if wanted("headers") {
            var headers = OrderedDictionary<String, JSONValue>()
            for field in ctx.headers {
                let name = field.name.canonicalName
                // Repeated fields join with ", ", except Cookie, whose pairs join with "; "
                // (HTTP/2 clients send one field per cookie).
                let separator = field.name == .cookie ? "; " : ", "
                headers[name] = .string(headers[name]?.stringValue.map { $0 + separator + field.value } ?? field.value)
            }
            envelope["headers"] = .object(headers)
        }
        if wanted("body") { envelope["body"] = ctx.body }
        // An endpoint declared `rawBody` (ABI 1.4) gets the exact bytes, base64, instead of a parsed body.
        if ctx.endpoint?.rawBody == true, wanted("rawBody") {
            envelope["rawBody"] = ctx.rawBody.isEmpty ? .null : .string(Data(ctx.rawBody).base64EncodedString())
        }
        if wanted("ip") { envelope["ip"] = ctx.clientIP.map(JSONValue.string) ?? .null }
        if wanted("session") { envelope["session"] = ctx.resolvedSession.flatMap { $0 }.map(ctx.auth.output) ?? .null }
        if wanted("newSession") { envelope["newSession"] = ctx.newSession.map(ctx.auth.output) ?? .null }
        if let response, wanted("response") {
            var responseHeaders = OrderedDictionary<String, JSONValue>()
            for field in response.headers { responseHeaders[field.name.canonicalName] = .string(field.value) }
            var setCookies: [JSONValue] = ctx.responseHeaders[values: .setCookie].map(JSONValue.string)
            setCookies += response.headers[values: .setCookie].map(JSONValue.string)
            envelope["response"] = [
                "status": .int(Int(response.status.code)), "headers": .object(responseHeaders),
                "body": response.json ?? .null, "setCookies": .array(setCookies),
            ]
        }
        return .object(envelope)
    }

    /// Applies cookies, sign-in and header patches from a plugin's answer to the request; returns
    /// the response it asks for, if any.
    /// `minor` is the ABI minor the plugin was built for. From 1.3 on, a string `body` with a
    /// `contentType` is sent as that text, not as JSON; from 1.5 on, `signIn` may hand over an
    /// existing session (`sessionToken`).
    static func apply(_ answer: JSONValue, to ctx: EndpointContext, builtFor minor: Int) async throws -> APIResponse? {
        let textBodies = minor >= 3
        for cookie in answer["cookies"]?.arrayValue ?? [] {
            guard let base = cookie["name"]?.stringValue else { continue }
            let name = ctx.auth.cookies.name(base)
            // 1.10: a cookie kept to the plugin's own pages (its path) and same-site requests.
            let path = minor >= 10 ? cookie["path"]?.stringValue ?? "/" : "/"
            let sameSite = minor >= 10 ? cookie["sameSite"]?.stringValue ?? "Lax" : "Lax"
            guard AuthCookies.isCookiePath(path), sameSite == "Lax" || sameSite == "Strict" else {
                throw APIError(.internalServerError, "PLUGIN_ERROR", "Plugin answered a cookie with an invalid path or sameSite")
            }
            if cookie["expire"]?.boolValue == true {
                ctx.expireCookie(name, path: path)
            } else if let value = cookie["value"]?.stringValue {
                let stored = cookie["signed"]?.boolValue == true ? ctx.auth.signer.sign(value) : value
                ctx.setCookie(name, stored, maxAge: cookie["maxAge"]?.intValue, httpOnly: cookie["httpOnly"]?.boolValue ?? true,
                              sameSite: sameSite, path: path)
            }
        }
        if answer["clearSession"]?.boolValue == true, let session = ctx.newSession {
            if !ctx.newSessionHandedOver { try await ctx.auth.store.deleteSession(token: session.token) }
            ctx.newSession = nil
            ctx.newSessionHandedOver = false
            // The session token and the cached copy of the session (session_data and its chunks)
            // must not reach the client: they are replaced by expiring ones, as Better Auth's
            // deleteSessionCookie does; dont_remember stays, so a later sign-in can honour it.
            let cookies = ctx.auth.cookies
            ctx.responseHeaders = HTTPFields(ctx.responseHeaders.filter { field in
                guard field.name == .setCookie else { return true }
                return !field.value.hasPrefix(cookies.sessionToken + "=") && !field.value.hasPrefix(cookies.sessionData + "=")
                    && !field.value.hasPrefix(cookies.sessionData + ".")
            })
            ctx.auth.sessions.clearCookies(ctx, keepingDontRemember: true)
        }
        if let patch = answer["patch"] {
            if let body = patch["body"], body != .null { ctx.body = body }
            for (name, value) in patch["headers"]?.objectValue ?? [:] {
                guard let field = HTTPField.Name(name) else { continue }
                ctx.headers[field] = value.stringValue
            }
        }
        // The plugin cannot know the new session: the host fills in its token and its API form.
        var bodyAdditions: [(String, JSONValue)] = []
        if let signIn = answer["signIn"], let session = try await signedIn(signIn, ctx, handsOver: minor >= 5) {
            if let key = signIn["tokenKey"]?.stringValue { bodyAdditions.append((key, .string(session.token))) }
            if let key = signIn["sessionKey"]?.stringValue { bodyAdditions.append((key, ctx.auth.output("session", session.session))) }
        }
        if let error = answer["error"] {
            let message = error["message"]?.stringValue ?? "Plugin error"
            // Without a code, derive one from the message, as better-call does.
            throw error["code"]?.stringValue.map { APIError(status(error["status"]?.intValue ?? 400), $0, message) }
                ?? APIError(status(error["status"]?.intValue ?? 400), message: message)
        }
        guard !bodyAdditions.isEmpty, var body = answer["body"]?.objectValue else { return try response(answer, textBodies: textBodies) }
        for (key, value) in bodyAdditions { body[key] = value }
        var patched = answer.objectValue ?? [:]
        patched["body"] = .object(body)
        return try response(.object(patched), textBodies: textBodies)
    }

    /// The session an answer's `signIn` creates for `userId`, or (1.5) the existing one it hands
    /// over by `sessionToken` (one-time tokens), with its cookies set either way.
    private static func signedIn(_ signIn: JSONValue, _ ctx: EndpointContext, handsOver: Bool) async throws -> AuthSession? {
        if handsOver, let token = signIn["sessionToken"]?.stringValue {
            guard let session = try await ctx.auth.store.session(token: token), (session.session.date("expiresAt") ?? .distantPast) > Date()
            else { throw APIError(.badRequest, "INVALID_TOKEN", "Invalid token") }
            ctx.auth.sessions.establish(ctx, session, rememberMe: true)
            ctx.newSessionHandedOver = true
            return session
        }
        guard let userID = signIn["userId"]?.stringValue else { return nil }
        guard let user = try await ctx.auth.store.user(id: userID) else { throw CoreErrors.userNotFound }
        return try await ctx.auth.sessions.signIn(ctx, user: user, rememberMe: signIn["rememberMe"]?.boolValue ?? true)
    }

    /// A plugin's status code; anything outside 100...599 is the plugin's fault, so 500.
    private static func status(_ code: Int) -> HTTPResponse.Status {
        (100...599).contains(code) ? HTTPResponse.Status(code: code) : .internalServerError
    }

    /// The answer's response, when it carries one (`status` or `body`).
    private static func response(_ answer: JSONValue, textBodies: Bool) throws -> APIResponse? {
        guard answer["status"] != nil || answer["body"] != nil else { return nil }
        var headers = HTTPFields()
        for (name, value) in answer["headers"]?.objectValue ?? [:] {
            if let field = HTTPField.Name(name), let text = value.stringValue { headers.append(HTTPField(name: field, value: text)) }
        }
        let status = status(answer["status"]?.intValue ?? 200)
        let body: APIResponse.Body
        if textBodies, let contentType = answer["contentType"]?.stringValue {
            // A content type that is not one header value would split the response.
            guard let text = answer["body"]?.stringValue, !contentType.isEmpty,
                  !contentType.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F })
            else { throw APIError(.internalServerError, "PLUGIN_ERROR", "Plugin answered an invalid contentType or a body that is not text") }
            body = .text(text, contentType: contentType)
        } else {
            body = answer["body"].map(APIResponse.Body.json) ?? .empty
        }
        return APIResponse(status: status, headers: headers, body: body)
    }
}
