import Foundation
import GatehouseJSON
import PluginKit

/// Calling the plugin: requests to its endpoints, hooks and interceptors by kind, jobs, services
/// and events, each with the envelope the server would send (docs/plugin-abi.md §9).
extension FakeHost {
    /// Calls the endpoint of the manifest that matches `method` and `path` (below the base path,
    /// `:param` segments filled in; a `?query` may follow). An endpoint with `auth` other than
    /// `none` gets `session`'s current `{session, user}`, and without a live session is answered
    /// 401 `UNAUTHORIZED` without calling the plugin, as the server does. With a session, the
    /// request also carries its signed session cookie. The body is not validated against the
    /// manifest's `body` properties. An endpoint declared `rawBody` (ABI 1.4) receives `rawBody`
    /// (else `body` serialised) as the envelope's base64 `rawBody`, and `body` null; a path ending
    /// in `/**` serves what no other endpoint serves below it, the rest in `params["**"]`. The
    /// endpoint's `responseHeaders` (ABI 1.11) are added to the answer where it lacks them.
    public func request(_ method: String, _ path: String, body: JSONValue? = nil, rawBody: [UInt8]? = nil, query: [String: String] = [:],
                        headers: [String: String] = [:], session: Session? = nil) throws -> Answer {
        let (route, inline) = Self.split(path)
        let endpoints = manifest["endpoints"]?.arrayValue ?? []
        // Exact and `:param` paths first, then subtrees, the longest prefix first, as the server routes.
        let candidates = endpoints.enumerated().filter { $0.element["method"]?.stringValue?.uppercased() == method.uppercased() }
            .sorted { Self.subtreePrefix($0.element)?.count ?? Int.max > Self.subtreePrefix($1.element)?.count ?? Int.max }
        guard let (index, params) = candidates.lazy.compactMap({ index, entry in
            if self.abiMinor >= 4, let prefix = Self.subtreePrefix(entry) {
                return route.hasPrefix(prefix) && route.count > prefix.count ? (index, ["**": String(route.dropFirst(prefix.count))]) : nil
            }
            return Self.match(entry["path"]?.stringValue ?? "", route).map { (index, $0) }
        }).first else {
            let declared = endpoints.map { "\($0["method"]?.stringValue ?? "?") \($0["path"]?.stringValue ?? "?")" }
            throw FakeHostError("\(id) has no endpoint for \(method.uppercased()) \(route) (it declares: \(declared.joined(separator: ", ")))")
        }
        let entry = endpoints[index]
        let current = session.flatMap(self.session).flatMap { live in
            (ISODate.parse(live["session"]?["expiresAt"]) ?? .distantPast) > now ? live : nil
        }
        let auth = entry["auth"]?.stringValue ?? "none"
        if auth != "none", current == nil {
            return addingDeclaredHeaders(of: entry, to: Answer(["error": ["status": 401, "code": "UNAUTHORIZED", "message": "Unauthorized"]]))
        }
        var sent = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        if let session, sent["cookie"] == nil {
            // URL-encoded as Better Auth sets it (encodeURIComponent).
            let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")
            let signed = crypto.sign(session.token).addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
            sent["cookie"] = cookieName("session_token") + "=" + signed
        }
        if body != nil, sent["content-type"] == nil { sent["content-type"] = "application/json" }
        var envelope: JSONValue = [
            "method": .string(method.uppercased()), "path": .string(route), "params": Self.object(params),
            "query": Self.object(inline.merging(query) { _, explicit in explicit }), "headers": Self.object(sent),
            "body": body ?? .null, "ip": "127.0.0.1", "session": auth == "none" ? .null : current ?? .null, "newSession": .null,
        ]
        if abiMinor >= 4, entry["rawBody"]?.boolValue == true, case .object(var members) = envelope {
            let bytes = rawBody ?? body?.serializedBytes()
            members["body"] = .null
            members["rawBody"] = bytes.map { .string(Data($0).base64EncodedString()) } ?? .null
            envelope = .object(members)
        }
        return addingDeclaredHeaders(of: entry, to: try signIn(answer: try invoke(.endpoint(index), envelope)))
    }

    /// The endpoint's `responseHeaders` (ABI 1.11) on an answer that does not set them, as the server adds them.
    private func addingDeclaredHeaders(of entry: JSONValue, to answer: Answer) -> Answer {
        guard abiMinor >= 11, let declared = entry["responseHeaders"]?.objectValue, case .object(var members) = answer.json else { return answer }
        var headers = members["headers"]?.objectValue ?? [:]
        for (name, value) in declared where !headers.keys.contains(where: { $0.lowercased() == name.lowercased() }) {
            headers[name] = value
        }
        members["headers"] = .object(headers)
        return Answer(.object(members), newSession: answer.newSession)
    }

    /// Calls the plugin with any kind and envelope (hooks, middlewares, interceptors: build the
    /// envelope of §9). The manifest entry's `envelope` and `blocking` apply.
    public func call(_ kind: PluginCall.Kind, envelope: JSONValue) throws -> Answer {
        Answer(try invoke(kind, envelope))
    }

    /// Runs the manifest's job `name` as its schedule would: the envelope is `{name}`, plus
    /// `payload` when given.
    public func runJob(_ name: String, payload: JSONValue? = nil) throws -> Answer {
        var envelope: JSONValue = ["name": .string(name)]
        if let payload { envelope = ["name": .string(name), "payload": payload] }
        return Answer(try invoke(.job(try jobIndex(name)), envelope))
    }

    /// Ends the `http.dispatch` request `id` with an answer of `status`: runs its job with
    /// `{id, context, response: {status, body}}`, as the host does when the request ends.
    @discardableResult
    public func finishDispatch(_ id: String, status: Int, body: String = "") throws -> Answer {
        try endDispatch(id, ["status": .int(status), "body": .string(body)], as: "response")
    }

    /// Ends the `http.dispatch` request `id` without an answer (`code`: `TIMEOUT`,
    /// `CONNECTION_FAILED` or `ADDRESS_REFUSED`): runs its job with `{id, context, error}`.
    @discardableResult
    public func failDispatch(_ id: String, code: String, message: String = "failed") throws -> Answer {
        try endDispatch(id, ["code": .string(code), "message": .string(message)], as: "error")
    }

    private func endDispatch(_ id: String, _ outcome: JSONValue, as key: String) throws -> Answer {
        guard let request = locked({ state in state.openDispatches.remove(id).flatMap { _ in state.dispatches.first { $0.id == id } } }) else {
            throw FakeHostError("no http.dispatch request \(id) is in flight")
        }
        let payload: JSONValue = .object(["id": .string(id), "context": request.context, key: outcome])
        return Answer(try invoke(.job(try jobIndex(request.job)), ["name": .string(request.job), "payload": payload, "id": .string(id)]))
    }

    /// Runs the work scheduled with `jobs.schedule` that is due on the fake clock, oldest first,
    /// each once, with the envelope `{name, payload, id, runAt, scheduledAt}`.
    @discardableResult
    public func runDueJobs() throws -> [Answer] {
        let now = now
        let due = locked { state -> [ScheduledJob] in
            let due = state.jobs.filter { state.pendingJobs.contains($0.id) && $0.runAt <= now }.sorted { $0.runAt < $1.runAt }
            state.pendingJobs.subtract(due.map(\.id))
            return due
        }
        return try due.map { job in
            Answer(try invoke(.job(try jobIndex(job.name)), [
                "name": .string(job.name), "payload": job.payload, "id": .string(job.id),
                "runAt": .string(ISODate.format(job.runAt)), "scheduledAt": .string(ISODate.format(job.scheduledAt)),
            ]))
        }
    }

    /// Calls the plugin's service `name` as another plugin (`caller`) would through `services.call`.
    /// The answer is the provider's result; a refusal has `error`.
    public func service(_ name: String, request: JSONValue = [:], caller: String = "test") throws -> Answer {
        guard let index = (manifest["services"]?.arrayValue ?? []).firstIndex(of: .string(name)) else {
            throw FakeHostError("\(id) offers no service \"\(name)\"")
        }
        return Answer(try invoke(.service(index), ["service": .string(name), "request": request, "caller": .string(caller)]))
    }

    /// Delivers an event to the first `events` entry that matches it, with the envelope
    /// `{name, payload, source}`; nil when the plugin does not subscribe to it.
    @discardableResult
    public func deliverEvent(_ name: String, payload: JSONValue = [:], source: String = "core") throws -> Answer? {
        guard abiMinor >= 1, let index = (manifest["events"]?.arrayValue ?? []).firstIndex(where: { entry in
            guard let pattern = entry["name"]?.stringValue else { return false }
            return pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern
        }) else { return nil }
        return Answer(try invoke(.event(index), ["name": .string(name), "payload": payload, "source": .string(source)]))
    }

    private func jobIndex(_ name: String) throws -> Int {
        guard let index = (manifest["jobs"]?.arrayValue ?? []).firstIndex(where: { $0["name"]?.stringValue == name }) else {
            throw FakeHostError("\(id) declares no job \"\(name)\"")
        }
        return index
    }

    /// Sends the members the manifest entry asks for, in the thread style it declares.
    private func invoke(_ kind: PluginCall.Kind, _ envelope: JSONValue) throws -> JSONValue {
        let entry = self.entry(kind)
        var sent = envelope
        if let wanted = entry?["envelope"]?.arrayValue?.compactMap(\.stringValue), let members = envelope.objectValue {
            sent = .object(members.filter { wanted.contains($0.key) })
        }
        // Plugins built for 1.0 and 1.1 run every callback on a worker (§4).
        let nonBlocking = abiMinor >= 2 && entry?["blocking"]?.boolValue == false
        let driver = try plugin
        return try CallStyle.run(nonBlocking: nonBlocking) { try driver.handle(kind, sent) }
    }

    private func entry(_ kind: PluginCall.Kind) -> JSONValue? {
        func item(_ list: JSONValue?, _ index: Int) -> JSONValue? {
            guard let items = list?.arrayValue, items.indices.contains(index) else { return nil }
            return items[index]
        }
        switch kind {
        case .endpoint(let i): return item(manifest["endpoints"], i)
        case .beforeHook(let i): return item(manifest["hooks"]?["before"], i)
        case .afterHook(let i): return item(manifest["hooks"]?["after"], i)
        case .middleware(let i): return item(manifest["middlewares"], i)
        case .onRequest, .onResponse: return manifest["interceptors"]
        case .event(let i): return item(manifest["events"], i)
        case .job, .service: return nil
        }
    }

    /// An endpoint's `signIn` (§9): the session is made, and its token and object go into the
    /// body under `tokenKey` and `sessionKey`.
    private func signIn(answer json: JSONValue) throws -> Answer {
        guard let signIn = json["signIn"], let userID = signIn["userId"]?.stringValue else { return Answer(json) }
        let seconds = signIn["rememberMe"]?.boolValue == false ? 86_400 : Double(locked { $0.sessionExpiresIn })
        let now = now
        let row = try hostCall { try database.perform { try createSession(userID, expiresIn: seconds, &$0, now) } }
        let session = Session(token: row["token"]?.stringValue ?? "", userID: userID)
        guard var answer = json.objectValue, var body = answer["body"]?.objectValue else { return Answer(json, newSession: session) }
        if let key = signIn["tokenKey"]?.stringValue { body[key] = .string(session.token) }
        if let key = signIn["sessionKey"]?.stringValue { body[key] = self.session(session)?["session"] ?? .null }
        answer["body"] = .object(body)
        return Answer(.object(answer), newSession: session)
    }

    /// `/scim/v2/` for an endpoint whose path is `/scim/v2/**` (ABI 1.4), nil for any other.
    static func subtreePrefix(_ entry: JSONValue) -> String? {
        guard let path = entry["path"]?.stringValue, path.hasSuffix("/**") else { return nil }
        return String(path.dropLast(2))
    }

    /// `:name` segments of `pattern` bound to `path`'s, or nil when it does not match.
    static func match(_ pattern: String, _ path: String) -> [String: String]? {
        let expected = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let given = path.split(separator: "/", omittingEmptySubsequences: false)
        guard expected.count == given.count else { return nil }
        var params: [String: String] = [:]
        for (want, got) in zip(expected, given) {
            if want.hasPrefix(":"), !got.isEmpty {
                params[String(want.dropFirst())] = String(got).removingPercentEncoding ?? String(got)
            } else if want != got {
                return nil
            }
        }
        return params
    }

    /// The path and its query (`a=1&b=2`, the first value of a repeated name wins).
    static func split(_ path: String) -> (String, [String: String]) {
        guard let mark = path.firstIndex(of: "?") else { return (path, [:]) }
        var query: [String: String] = [:]
        for pair in path[path.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if query[parts[0]] == nil { query[parts[0]] = parts.count > 1 ? parts[1] : "" }
        }
        return (String(path[..<mark]), query)
    }

    static func object(_ strings: [String: String]) -> JSONValue {
        .object(.init(uniqueKeysWithValues: strings.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
    }
}
