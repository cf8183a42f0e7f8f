import Foundation
import GatehouseJSON
import GatehousePluginABI
import PluginKit
#if canImport(Glibc)
import Glibc
#endif

/// A Gatehouse host in memory for unit tests: it runs one plugin with its settings, serves the
/// whole host table (`gh_host_api`) and the operations plugins commonly call (`db.*` on an
/// in-memory database with the core tables and the manifest's, `users.*`, `sessions.*`,
/// `accounts.*`, `verifications.*`, `events.emit`, `email.send`, `http.fetch`, `http.dispatch`, `services.call`,
/// `jobs.schedule`, `host.info`), and records what the plugin did for assertions:
///
///     let host = try FakeHost(plugin: MyPlugin.self, settings: ["greeting": "Hi"])
///     let user = try host.createUser(email: "ada@example.com", name: "Ada")
///     let answer = try host.request("POST", "/my/route", body: ["x": 1], session: try host.signIn(user))
///     #expect(answer.status == 200)
///     #expect(host.emittedEvents.map(\.name) == ["my.event"])
///
/// Set what `init` may already need (`baseURL`, `fetch`, service providers, ...) in the
/// `prepare` closure, which runs before the plugin is created. Operations it does not offer
/// answer GH_UNSUPPORTED unless a test stubs them (`stubOperation`). Calls run on the test's
/// thread; a callback declared `"blocking": false` gets GH_DENIED from `call`, `kv_*` and
/// `password_*` as in the server.
@dynamicMemberLookup
public final class FakeHost: @unchecked Sendable {
    /// The plugin's id and manifest.
    public let id: String
    public let manifest: JSONValue
    /// The ABI minor the plugin was built for (jobs and services need 1.2, events 1.1).
    public let abiMinor: Int
    let settings: [UInt8]
    let database: FakeDatabase
    let access: FakeDatabaseAccess
    let keyValues = FakeKeyValueStore()
    private let lock = NSLock()
    private var state = State()
    private var driver: (any PluginDriver)?

    /// Everything a test may change or read while the plugin runs, behind `lock`.
    struct State {
        var environment = Environment()
        var sessionExpiresIn = 604_800
        var clockOffset: TimeInterval = 0
        var providers: [String: [String: @Sendable (JSONValue) throws -> JSONValue]] = [:]
        var stubs: [String: @Sendable (JSONValue) throws -> JSONValue] = [:]
        var logs: [LogLine] = []
        var events: [EmittedEvent] = []
        var emails: [SentEmail] = []
        var jobs: [ScheduledJob] = []
        var pendingJobs: Set<String> = []
        var serviceCalls: [ServiceCall] = []
        var fetchRequests: [FetchRequest] = []
        var dispatches: [DispatchedRequest] = []
        var openDispatches: Set<String> = []
        /// `users.blockSignIn` holds by user id: the refusal a new session meets.
        var signInBlocks: [String: HostFailure] = [:]
    }

    /// Runs the Swift plugin type `plugin` directly, without its exported entry symbol, so one
    /// test process can test several plugin types.
    public convenience init<P: GatehousePlugin>(plugin: P.Type, settings: JSONValue = [:], prepare: (FakeHost) throws -> Void = { _ in }) throws {
        try self.init(id: P.id, manifest: P.manifest, abiMinor: Int(GATEHOUSE_ABI_MINOR), settings: settings, prepare: prepare) { api, handle in
            try TypeDriver<P>(api: api, handle: handle, settings: settings)
        }
    }

    /// Runs a plugin through its C descriptor, as the server does: `descriptor` is what
    /// `gatehouse_plugin_entry_v1()` returned (a C plugin compiled into the test, or a Swift
    /// plugin's exported entry).
    public convenience init(descriptor: UnsafeRawPointer, settings: JSONValue = [:], prepare: (FakeHost) throws -> Void = { _ in }) throws {
        let facts = try DescriptorDriver.facts(descriptor)
        try self.init(id: facts.id, manifest: facts.manifest, abiMinor: facts.abiMinor, settings: settings, prepare: prepare) { api, handle in
            try DescriptorDriver(facts, api: api, handle: handle, settings: settings.serializedBytes())
        }
    }

    /// Loads a plugin library (`.so`) into the test process and runs it through its descriptor.
    /// The library stays loaded until the process ends, as in the server.
    public convenience init(library path: String, settings: JSONValue = [:], prepare: (FakeHost) throws -> Void = { _ in }) throws {
        guard let library = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw FakeHostError("\(path): \(dlerror().map { String(cString: $0) } ?? "cannot be loaded")")
        }
        guard let symbol = dlsym(library, "gatehouse_plugin_entry_v1") else {
            throw FakeHostError("\(path): the entry symbol gatehouse_plugin_entry_v1 is missing")
        }
        let entry = unsafeBitCast(symbol, to: (@convention(c) () -> UnsafeRawPointer?).self)
        guard let descriptor = entry() else { throw FakeHostError("\(path): the entry returned no descriptor") }
        try self.init(descriptor: descriptor, settings: settings, prepare: prepare)
    }

    /// `lib<product>.so`, a dynamic library product of the package under test, built next to the
    /// running test binary by `swift build` / `swift test`.
    public static func builtLibrary(_ product: String) -> String {
        let directory = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent()
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return directory.appendingPathComponent("lib\(product).so").path
    }

    private init(id: String, manifest: JSONValue, abiMinor: Int, settings: JSONValue, prepare: (FakeHost) throws -> Void,
                 start: (UnsafePointer<gh_host_api>, OpaquePointer) throws -> any PluginDriver) throws {
        self.id = id
        self.manifest = manifest
        self.abiMinor = abiMinor
        self.settings = settings.serializedBytes()
        database = FakeDatabase(schema: FakeSchema.tables(manifest: manifest, settings: settings))
        access = FakeDatabaseAccess(pluginID: id, ownTables: FakeSchema.ownTables(manifest: manifest))
        try prepare(self)
        driver = try start(FakeHostAPI.table, OpaquePointer(Unmanaged.passUnretained(self).toOpaque()))
    }

    deinit {
        driver?.stop()
    }

    static func from(_ handle: OpaquePointer?) -> FakeHost? {
        handle.map { Unmanaged<FakeHost>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }

    func locked<T>(_ body: (inout State) throws -> T) rethrows -> T {
        try lock.withLock { try body(&state) }
    }

    var plugin: any PluginDriver {
        get throws {
            guard let driver else { throw FakeHostError("\(id) is not running") }
            return driver
        }
    }

    // MARK: What the host looks like (set in `prepare` for what `init` reads)

    /// What the host looks like, read and set as the host's own properties (`host.baseURL = ...`).
    public struct Environment {
        /// The server secret: HMACs with an empty key, signed values, encryption.
        public var secret = "fake-host-secret-for-plugin-unit-tests-0123456789"
        /// `host.info`'s `baseURL`, `basePath` and `appName`.
        public var baseURL = "http://localhost:3000"
        public var basePath = "/api/auth"
        public var appName = "Gatehouse"
        /// `__Secure-` cookie names, as with an https base URL.
        public var secureCookies = false
        /// Whether `email.send` delivers (`host.info`'s `email`); false answers `EMAIL_NOT_CONFIGURED`.
        public var emailConfigured = true
        /// `host.info`'s core rules (1.5): password lengths, sessions ended by a reset, auto sign-in.
        public var minPasswordLength = 8
        public var maxPasswordLength = 128
        public var revokeSessionsOnPasswordReset = false
        /// Passwords `passwords.check` and `users.resetPassword` refuse as `PASSWORD_COMPROMISED`
        /// (the server's common-password list and breached-password check), compared as given.
        public var compromisedPasswords: Set<String> = []
        public var autoSignInAfterVerification = false
        /// Answers every `http.fetch`; without it `http.fetch` fails with `FETCH_FAILED`.
        public var fetch: (@Sendable (FetchRequest) throws -> FetchResponse)?
    }

    public subscript<T>(dynamicMember field: WritableKeyPath<Environment, T>) -> T {
        get { locked { $0.environment[keyPath: field] } }
        set { locked { $0.environment[keyPath: field] = newValue } }
    }

    /// Makes `services.call` to `plugin`'s `service` answer with `provider(request)`. A thrown
    /// `PluginError` is the provider's refusal (the caller gets its code and status); any other
    /// error is `SERVICE_FAILED`. A plugin with no provider is not loaded (`PLUGIN_NOT_LOADED`).
    public func provideService(plugin: String, _ service: String, _ provider: @escaping @Sendable (JSONValue) throws -> JSONValue) {
        locked { $0.providers[plugin, default: [:]][service] = provider }
    }

    /// Makes every service of the plugin `provider` runs available to this plugin: two plugins
    /// tested together, each in its own fake host.
    public func provideServices(of provider: FakeHost) {
        let caller = id
        for case .string(let service) in provider.manifest["services"]?.arrayValue ?? [] {
            provideService(plugin: provider.id, service) { request in
                let answer = try provider.service(service, request: request, caller: caller)
                if let error = answer.error { throw error }
                return answer.json
            }
        }
    }

    /// Answers `operation` with `answer(request)` instead of the fake's own handling (for
    /// operations it lacks, such as `oauth.*` or `keys.generate`). A thrown `PluginError` fails
    /// the call with its code.
    public func stubOperation(_ operation: String, _ answer: @escaping @Sendable (JSONValue) throws -> JSONValue) {
        locked { $0.stubs[operation] = answer }
    }

    // MARK: Time

    /// The fake host's clock: the time kv expiry, sessions, `"now"` defaults and scheduled jobs
    /// go by. The plugin's own `Date()` is not moved.
    public var now: Date { Date().addingTimeInterval(locked { $0.clockOffset }) }

    public func advanceClock(by seconds: TimeInterval) {
        locked { $0.clockOffset += seconds }
    }

    // MARK: What the plugin did

    public var logs: [LogLine] { locked { $0.logs } }
    /// `events.emit` calls, in order.
    public var emittedEvents: [EmittedEvent] { locked { $0.events } }
    /// `email.send` calls, in order.
    public var sentEmails: [SentEmail] { locked { $0.emails } }
    /// `jobs.schedule` calls, in order (run them with `runDueJobs`).
    public var scheduledJobs: [ScheduledJob] { locked { $0.jobs } }
    /// `services.call` calls, in order, answered or not.
    public var serviceCalls: [ServiceCall] { locked { $0.serviceCalls } }
    /// `http.fetch` calls, in order.
    public var fetchRequests: [FetchRequest] { locked { $0.fetchRequests } }
    /// `http.dispatch` calls, in order, ended or not (end them with `finishDispatch`/`failDispatch`).
    public var dispatchedRequests: [DispatchedRequest] { locked { $0.dispatches } }

    /// The value of kv key `key` (not expired), as text.
    public func keyValue(_ key: String) -> String? {
        keyValues.get(key, now: now).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every row of `table`, with every stored field.
    public func rows(_ table: String) -> [JSONValue] {
        database.read { ($0.rows[table] ?? []).map(JSONValue.object) }
    }

    /// Adds a row to any table of the schema (the core tables, the manifest's): fields converted,
    /// `id` and defaults filled in, references checked. Returns the stored row.
    @discardableResult
    public func insert(_ table: String, _ data: JSONValue) throws -> JSONValue {
        let now = now
        do {
            return .object(try database.perform { try $0.create(table, try $0.record(table, data), now: now) })
        } catch let failure as HostFailure {
            throw FakeHostError("insert into \(table): \(failure.code): \(failure.message)")
        }
    }
}
