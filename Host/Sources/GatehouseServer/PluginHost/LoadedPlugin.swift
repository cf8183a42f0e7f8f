import Foundation
import GatehouseHostABI
import GatehouseJSON
import GatehousePluginABI
import GatehouseStorage
import HTTPTypes
import NIOConcurrencyHelpers
import NIOPosix

/// A plugin library instance adapted to `AuthPlugin`: its manifest becomes endpoints and
/// hooks whose handlers cross the ABI on the plugin worker pool.
final class LoadedPlugin: AuthPlugin, @unchecked Sendable {
    let library: PluginLibrary
    let manifest: PluginManifest
    let host: PluginHostContext
    private let workers: NIOThreadPool
    /// The plugin's state from `init`; written once before the plugin serves anything.
    private var state: UnsafeMutableRawPointer?
    /// Callbacks inside `handle` now, and whether `stop` has closed the instance to new ones:
    /// `deinit` frees the state only once none runs (a job or a late event delivery may outlast
    /// the generation's requests).
    private let calls = NIOLockedValueBox((running: 0, closed: false))
    /// After-hook and onResponse answers the plugin marked reusable (ABI 1.9); gone with the instance.
    private let reusable = ReusableHookAnswers()

    var id: String { library.id }
    var version: String { library.version }

    init(library: PluginLibrary, manifest: PluginManifest, host: PluginHostContext, workers: NIOThreadPool) {
        self.library = library
        self.manifest = manifest
        self.host = host
        self.workers = workers
    }

    /// Runs the plugin's `init` with its settings, on a worker thread.
    func start(auth: AuthContext) async throws(PluginLoadError) {
        host.auth = auth
        let descriptor = ABIPointer(pointer: library.descriptor)
        let settings = host.settings.serializedBytes()
        let handle = ABIPointer(pointer: host.handle)
        let outcome = try? await workers.runIfActive { () -> (ABIPointer<UnsafeMutableRawPointer?>, String?) in
            PluginThread.markWorker()
            var state: UnsafeMutableRawPointer?
            var error = gh_buf(ptr: nil, len: 0)
            let status = ABIBuffers.lend(settings) { config in
                descriptor.pointer.pointee.`init`(HostAPITable.pointer, handle.pointer, config, &state, &error)
            }
            let message = error.ptr.map { String(decoding: UnsafeBufferPointer(start: $0, count: error.len), as: UTF8.self) }
            if error.ptr != nil { descriptor.pointer.pointee.free_buf(error) }
            return status == GH_OK ? (ABIPointer(pointer: state), nil) : (ABIPointer(pointer: nil), message ?? "status \(status.rawValue)")
        }
        guard let outcome else { throw .initFailed("the plugin worker pool is not running") }
        if let message = outcome.1 { throw .initFailed(message) }
        state = outcome.0.pointer
    }

    /// Closes the instance to new callbacks, waits for those running (however long: freeing the
    /// state under one would crash), then `quiesce` and `deinit`, on a worker thread so `deinit`
    /// may still use blocking host calls (to flush, say).
    func stop() async {
        calls.withLockedValue { $0.closed = true }
        var waited = 0
        while calls.withLockedValue({ $0.running }) > 0 {
            try? await Task.sleep(for: .milliseconds(10))
            waited += 1
            if waited == 3000 { host.logger.warning("retiring plugin instance waits for a callback still running after 30 s") }
        }
        let descriptor = ABIPointer(pointer: library.descriptor)
        let state = ABIPointer(pointer: self.state)
        try? await workers.runIfActive {
            PluginThread.asWorker {
                descriptor.pointer.pointee.quiesce?(state.pointer)
                descriptor.pointer.pointee.deinit(state.pointer)
            }
        }
    }

    /// Sends one callback across the ABI and parses the answer. Blocking callbacks run on the
    /// plugin workers; a callback declared non-blocking runs on the request's own thread.
    private func invoke(_ kind: gh_callback_kind, _ index: Int, _ style: PluginManifest.CallStyle, _ envelope: JSONValue) async throws -> JSONValue {
        try await invoke(kind, index, style, envelope.serializedBytes())
    }

    private func invoke(_ kind: gh_callback_kind, _ index: Int, _ style: PluginManifest.CallStyle, _ input: [UInt8]) async throws -> JSONValue {
        let call = EventScope.carried { @Sendable [self] in handleCall(kind, index, input) }
        let answered: (gh_status, [UInt8])?
        if runsOnWorkers(style) {
            do { answered = try await workers.runIfActive { PluginThread.asWorker(call) } } catch { throw PluginRetired(plugin: id) }
        } else {
            answered = PluginThread.asRequestCallback(call)
        }
        guard let (status, output) = answered else { throw PluginRetired(plugin: id) }
        guard status == GH_OK else {
            host.logger.error("plugin callback failed", metadata: ["kind": "\(kind.rawValue)", "index": "\(index)", "status": "\(status.rawValue)"])
            throw APIError(.internalServerError, "PLUGIN_ERROR", "Plugin \(id) failed")
        }
        do {
            return output.isEmpty ? .object([:]) : try JSONValue.parse(output)
        } catch {
            host.logger.error("plugin answered invalid JSON", metadata: ["error": "\(error)"])
            throw APIError(.internalServerError, "PLUGIN_ERROR", "Plugin \(id) answered invalid JSON")
        }
    }

    /// An after-hook's or onResponse's answer: the one kept for the same envelope when the plugin
    /// marked it reusable (ABI 1.9), otherwise a call.
    private func answerReusing(_ kind: gh_callback_kind, _ index: Int, _ style: PluginManifest.CallStyle,
                               _ envelope: JSONValue) async throws -> JSONValue {
        let input = envelope.serializedBytes()
        guard speaks(minor: 9) else { return try await invoke(kind, index, style, input) }
        var lookup = ReusableHookAnswers.Lookup(callback: .init(kind: kind.rawValue, index: index), envelope: input)
        if let kept = reusable.answer(&lookup) { return kept }
        let answer = try await invoke(kind, index, style, input)
        reusable.keep(answer, for: lookup)
        return answer
    }

    /// Whether a callback runs on the worker pool. `"blocking": false` is honoured for plugins
    /// built for ABI 1.2 on: before it the key-value functions never blocked, so older plugins
    /// may call them from any callback, and theirs all run where blocking is safe.
    private func runsOnWorkers(_ style: PluginManifest.CallStyle) -> Bool {
        style.blocking || !speaks(minor: 2)
    }

    /// The plugin's event subscriptions; plugins built for ABI 1.0 cannot receive events, and
    /// only those built for 1.2 on receive the host's own.
    var eventSubscriber: PluginEvents.Subscriber? {
        guard !manifest.events.isEmpty, speaks(minor: 1) else { return nil }
        return PluginEvents.Subscriber(pluginID: id, entries: manifest.events, speaksHostEvents: speaks(minor: 2), deliver: { index, envelope in
            _ = try await self.invoke(GH_CALL_EVENT, index, self.manifest.events[index].style, envelope)
        }, deliverHere: { index, envelope in
            guard let (status, _) = self.handleCall(GH_CALL_EVENT, index, envelope.serializedBytes()) else { return false }
            if status != GH_OK { self.host.logger.error("plugin event delivery failed", metadata: ["index": "\(index)", "status": "\(status.rawValue)"]) }
            return status == GH_OK
        })
    }

    /// The ABI minor the plugin was built for: its answers mean what they meant then.
    private var builtMinor: Int { Int(library.descriptor.pointee.abi_minor) }

    /// Whether the plugin was built for at least ABI 1.`minor` (older plugins never receive the
    /// callback kinds added later).
    func speaks(minor: Int) -> Bool { builtMinor >= minor }

    /// Runs manifest `jobs[index]` (GH_CALL_JOB, ABI 1.2) on a plugin worker.
    func runJob(_ index: Int, envelope: JSONValue) async throws -> JSONValue {
        try await invoke(GH_CALL_JOB, index, PluginManifest.CallStyle(.object([:])), envelope)
    }

    /// Serves manifest `services[index]` (GH_CALL_SERVICE, ABI 1.2) for another plugin, on the
    /// current thread: the caller's worker, waiting in `services.call` (see PluginServices).
    /// Answers the plugin's status and raw answer.
    func serve(_ index: Int, envelope: JSONValue) -> (gh_status, [UInt8]) {
        handleCall(GH_CALL_SERVICE, index, envelope.serializedBytes()) ?? (GH_ERROR, [])
    }

    /// One `handle` call across the ABI, on the current thread: the status and the answer's bytes,
    /// or nil when the instance is retired (stopping or stopped) and takes no more calls.
    private func handleCall(_ kind: gh_callback_kind, _ index: Int, _ input: [UInt8]) -> (gh_status, [UInt8])? {
        let admitted = calls.withLockedValue { calls in
            guard !calls.closed else { return false }
            calls.running += 1
            return true
        }
        guard admitted else { return nil }
        defer { calls.withLockedValue { $0.running -= 1 } }
        let descriptor = library.descriptor
        var out = gh_buf(ptr: nil, len: 0)
        let status = ABIBuffers.lend(input) { bytes in descriptor.pointee.handle(state, kind, UInt32(index), bytes, &out) }
        let result = out.ptr.map { Array(UnsafeBufferPointer(start: $0, count: out.len)) } ?? []
        if out.ptr != nil { descriptor.pointee.free_buf(out) }
        return (status, result)
    }

    /// The host-side conditions a hook declared, checked before paying for an ABI call.
    private func applies(_ hook: PluginManifest.HookEntry, _ ctx: EndpointContext, _ response: APIResponse? = nil) -> Bool {
        if let header = hook.requestHeader, ctx.headers[header] == nil { return false }
        if hook.whenNewSession, ctx.newSession == nil { return false }
        if let base = hook.responseSetsCookie {
            let prefix = ctx.auth.cookies.name(base) + "="
            let cookies = ctx.responseHeaders[values: .setCookie] + (response?.headers[values: .setCookie] ?? [])
            return cookies.contains { $0.hasPrefix(prefix) && !$0.hasPrefix(prefix + ";") }
        }
        return true
    }

    // MARK: AuthPlugin

    var endpoints: [Endpoint] {
        manifest.endpoints.enumerated().map { index, entry in
            var endpoint = Endpoint(entry.method, entry.path, auth: entry.auth, acceptsForm: entry.acceptsForm, formCSRF: entry.formCSRF, originCheck: entry.originCheck,
                                    body: entry.body, query: entry.query,
                                    summary: entry.summary, tag: library.name, statuses: entry.statuses) { [self] ctx in
                let answer = try await invoke(GH_CALL_ENDPOINT, index, entry.style, PluginEnvelope.request(ctx, members: entry.style.envelope))
                return try await PluginEnvelope.apply(answer, to: ctx, builtFor: builtMinor) ?? .json(.null)
            }
            endpoint.rawBody = entry.rawBody
            endpoint.servesSubpaths = entry.servesSubpaths
            endpoint.wellKnown = entry.wellKnown
            endpoint.servesTrailingSlash = entry.servesTrailingSlash
            endpoint.responseHeaders = entry.responseHeaders
            return endpoint
        }
    }

    var beforeHooks: [BeforeHook] {
        manifest.beforeHooks.enumerated().map { index, entry in
            BeforeHook(owner: id, matcher: entry.matcher) { [self] ctx in
                guard applies(entry, ctx) else { return .proceed }
                let answer = try await invoke(GH_CALL_BEFORE_HOOK, index, entry.style, PluginEnvelope.request(ctx, members: entry.style.envelope))
                if let response = try await PluginEnvelope.apply(answer, to: ctx, builtFor: builtMinor), answer["action"]?.stringValue == "respond" {
                    return .respond(response)
                }
                return .proceed
            }
        }
    }

    var afterHooks: [AfterHook] {
        manifest.afterHooks.enumerated().map { index, entry in
            AfterHook(owner: id, matcher: entry.matcher, runsLast: entry.runsLast) { [self] ctx, response in
                guard applies(entry, ctx, response) else { return nil }
                let answer = try await answerReusing(GH_CALL_AFTER_HOOK, index, entry.style,
                                                     PluginEnvelope.request(ctx, response: response, members: entry.style.envelope))
                let replacement = try await PluginEnvelope.apply(answer, to: ctx, builtFor: builtMinor)
                return answer["action"]?.stringValue == "replace" ? replacement : mergedHeaders(answer, into: response)
            }
        }
    }

    var middlewares: [RouterMiddleware] {
        manifest.middlewares.enumerated().map { index, entry in
            RouterMiddleware(owner: id, matcher: entry.matcher) { [self] ctx in
                guard applies(entry, ctx) else { return nil }
                let answer = try await invoke(GH_CALL_MIDDLEWARE, index, entry.style, PluginEnvelope.request(ctx, members: entry.style.envelope))
                let response = try await PluginEnvelope.apply(answer, to: ctx, builtFor: builtMinor)
                return answer["action"]?.stringValue == "respond" ? response : nil
            }
        }
    }

    var onRequest: [RequestInterceptor] {
        guard manifest.onRequest else { return [] }
        return [RequestInterceptor(owner: id) { [self] ctx in
            let style = manifest.interceptorStyle
            let answer = try await invoke(GH_CALL_ON_REQUEST, 0, style, PluginEnvelope.request(ctx, members: style.envelope))
            let response = try await PluginEnvelope.apply(answer, to: ctx, builtFor: builtMinor)
            return answer["action"]?.stringValue == "respond" ? response : nil
        }]
    }

    var onResponse: [ResponseInterceptor] {
        guard manifest.onResponse else { return [] }
        return [ResponseInterceptor(owner: id) { [self] ctx, response in
            let style = manifest.interceptorStyle
            let answer = try await answerReusing(GH_CALL_ON_RESPONSE, 0, style,
                                                 PluginEnvelope.request(ctx, response: response, members: style.envelope))
            let replacement = try await PluginEnvelope.apply(answer, to: ctx, builtFor: builtMinor)
            return answer["action"]?.stringValue == "replace" ? replacement : mergedHeaders(answer, into: response)
        }]
    }

    var rateLimitRules: [RateLimitRule] { manifest.rateLimit }
    var errorCodes: [ErrorCode] { manifest.errorCodes }
    var schema: SchemaExtension { manifest.schema }
    var fieldsWaitForTheirTables: Bool { speaks(minor: 4) && manifest.uses.contains(where: \.optional) }

    /// A "keep" answer may still add response headers (e.g. bearer's `set-auth-token`).
    private func mergedHeaders(_ answer: JSONValue, into response: APIResponse) -> APIResponse? {
        guard let headers = answer["headers"]?.objectValue, !headers.isEmpty else { return nil }
        var response = response
        for (name, value) in headers {
            if let field = HTTPField.Name(name), let text = value.stringValue { response.headers[field] = text }
        }
        return response
    }
}

/// A callback for a plugin instance that takes no more calls (retired by a reload, or the
/// server is stopping): the call never reached the plugin.
struct PluginRetired: Error, CustomStringConvertible {
    let plugin: String
    var description: String { "plugin \(plugin): this instance is retired and takes no more calls" }
}
