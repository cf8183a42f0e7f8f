import Foundation
import GatehouseJSON
import GatehouseStorage
@testable import GatehouseServer
import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import Testing

/// A contributor that uses every extension point, to prove the order Better Auth defines:
/// onRequest → origin check → middlewares → before hooks → endpoint → after hooks → onResponse.
struct ProbePlugin: AuthPlugin {
    let id = "probe"
    let trail: NIOLockedValueBox<[String]>

    func note(_ step: String) { trail.withLockedValue { $0.append(step) } }

    var endpoints: [Endpoint] {
        [Endpoint(.post, "/probe/echo", body: BodySchema([.init("x", .string)]), summary: "Echo", tag: "Probe") { ctx in
            note("endpoint")
            ctx.setCookie("probe.endpoint", "1", maxAge: 60)
            return .json(["x": ctx.body["x"] ?? .null, "header": .string(ctx.headers[HTTPField.Name("x-probe")!] ?? "")])
        }]
    }

    var onRequest: [RequestInterceptor] {
        [RequestInterceptor(owner: id) { ctx in
            note("onRequest")
            return ctx.headers[HTTPField.Name("x-intercept")!] != nil ? .json(["intercepted": true], status: .accepted) : nil
        }]
    }

    var middlewares: [RouterMiddleware] {
        [RouterMiddleware(owner: id, matcher: PathPattern("/probe/**")) { ctx in
            note("middleware")
            return nil
        }]
    }

    var beforeHooks: [BeforeHook] {
        [BeforeHook(owner: id, matcher: PathPattern("/probe/*")) { ctx in
            note("before")
            if ctx.body["x"]?.stringValue == "short" { return .respond(.json(["short": true], status: .conflict)) }
            var body = ctx.body.objectValue ?? [:]
            body["x"] = "patched"
            ctx.body = .object(body)
            ctx.headers[HTTPField.Name("x-probe")!] = "from-hook"
            ctx.setCookie("probe.before", "1", maxAge: 60)
            return .proceed
        }]
    }

    var afterHooks: [AfterHook] {
        [
            AfterHook(owner: id, matcher: PathPattern("/probe/echo")) { ctx, response in
                note("after")
                ctx.setCookie("probe.after", "1", maxAge: 60)
                return nil
            },
            AfterHook(owner: id, matcher: PathPattern("/sign-up/email")) { ctx, response in
                guard let session = ctx.newSession else { return nil }
                return .json(["replaced": true, "newSessionUser": .string(session.userID), "nickname": response.json?["user"]?["nickname"] ?? .null])
            },
        ]
    }

    var onResponse: [ResponseInterceptor] {
        [ResponseInterceptor(owner: id) { ctx, response in
            note("onResponse")
            var response = response
            response.headers[HTTPField.Name("x-seen-by")!] = id
            return response
        }]
    }

    var rateLimitRules: [RateLimitRule] { [RateLimitRule(PathPattern("/probe/limited"), window: 60, max: 1)] }

    var errorCodes: [ErrorCode] { [ErrorCode("PROBE_FAILED", "Probe failed")] }

    var schema: SchemaExtension {
        SchemaExtension(tables: [TableSchema(name: "probeWidget", fields: [Field("label", .string)])],
                        fields: ["user": [Field("nickname", .string, required: false)]])
    }
}

@Suite struct PluginPipelineTests {
    func runtime(rateLimit: Bool = false) async throws -> GatehouseRuntime {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gh-\(UUID().uuidString)").path
        let yaml = """
            baseURL: http://127.0.0.1:3000
            secret: pipeline-test-secret-pipeline-test-secret
            database: sqlite:\(dir)/db.sqlite
            email: {transport: none}
            rateLimit: {enabled: \(rateLimit)}
            """
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try yaml.write(toFile: dir + "/g.yaml", atomically: true, encoding: .utf8)
        let config = try GatehouseConfig.load(path: dir + "/g.yaml", environment: [:])
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return try await GatehouseRuntime.start(config: config, logger: logger)
    }

    func send(_ runtime: GatehouseRuntime, _ method: HTTPRequest.Method, _ path: String, json: String? = nil,
              headers: [String: String] = [:]) async -> APIResponse {
        var fields = HTTPFields()
        if json != nil { fields[.contentType] = "application/json" }
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        let request = IncomingRequest(method: method, path: path, query: [:], headers: fields,
                                      body: Array((json ?? "").utf8), clientIP: "127.0.0.1")
        return await runtime.generation.respond(to: request, logger: runtime.logger).0
    }

    @Test func hooksRunInBetterAuthOrderAndCookiesAccumulate() async throws {
        let runtime = try await runtime()
        let trail = NIOLockedValueBox<[String]>([])
        try await runtime.install(plugins: [ProbePlugin(trail: trail)])
        let response = await send(runtime, .post, "/probe/echo", json: #"{"x":"original"}"#)
        #expect(trail.withLockedValue { $0 } == ["onRequest", "middleware", "before", "endpoint", "after", "onResponse"])
        #expect(response.json?["x"] == "patched")
        #expect(response.json?["header"] == "from-hook")
        let cookies = response.headers[values: .setCookie].map { $0.split(separator: "=").first.map(String.init) ?? "" }
        #expect(cookies == ["probe.before", "probe.endpoint", "probe.after"])
        #expect(response.headers[HTTPField.Name("x-seen-by")!] == "probe")
        try await runtime.database.close()
    }

    @Test func beforeHookAndOnRequestCanShortCircuit() async throws {
        let runtime = try await runtime()
        let trail = NIOLockedValueBox<[String]>([])
        try await runtime.install(plugins: [ProbePlugin(trail: trail)])
        let short = await send(runtime, .post, "/probe/echo", json: #"{"x":"short"}"#)
        #expect(short.status == .conflict)
        #expect(!trail.withLockedValue { $0 }.contains("endpoint"))
        let intercepted = await send(runtime, .post, "/probe/echo", json: "{}", headers: ["x-intercept": "1"])
        #expect(intercepted.status == .accepted && intercepted.json?["intercepted"] == true)
        try await runtime.database.close()
    }

    @Test func afterHookSeesTheNewSessionAndSchemaExtensionsApply() async throws {
        let runtime = try await runtime()
        try await runtime.install(plugins: [ProbePlugin(trail: NIOLockedValueBox([]))])
        let response = await send(runtime, .post, "/sign-up/email",
                                  json: #"{"name":"P","email":"probe@example.com","password":"probe-password","nickname":"Pro"}"#)
        #expect(response.json?["replaced"] == true)
        #expect(response.json?["nickname"] == "Pro")
        #expect(response.headers[values: .setCookie].contains { $0.hasPrefix("better-auth.session_token=") })
        let rows = try await runtime.database.query("SELECT COUNT(*) AS n FROM probeWidget", [])
        #expect(rows.first?["n"] == .integer(0))
        try await runtime.database.close()
    }

    @Test func pluginRateLimitRulesApply() async throws {
        let runtime = try await runtime(rateLimit: true)
        try await runtime.install(plugins: [ProbePlugin(trail: NIOLockedValueBox([]))])
        _ = await send(runtime, .post, "/probe/limited", json: "{}")
        let limited = await send(runtime, .post, "/probe/limited", json: "{}")
        #expect(limited.status == .tooManyRequests)
        #expect(limited.headers[HTTPField.Name("X-Retry-After")!] != nil)
        try await runtime.database.close()
    }

    @Test func conflictsKeepThePreviousGeneration() async throws {
        let runtime = try await runtime()
        let before = runtime.generation.number
        struct Clash: AuthPlugin {
            let id = "clash"
            var endpoints: [Endpoint] { [Endpoint(.get, "/ok", summary: "dup") { _ in .json(.null) }] }
        }
        await #expect(throws: GenerationError.self) { try await runtime.install(plugins: [Clash()]) }
        #expect(runtime.generation.number == before)
        let ok = await send(runtime, .get, "/ok")
        #expect(ok.json?["ok"] == true)
        try await runtime.database.close()
    }
}
