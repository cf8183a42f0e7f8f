import Foundation
import GatehouseEmail
import GatehouseStorage
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The running server's state: settings, database, shared services and the current plugin
/// generation, which `install` swaps atomically.
public final class GatehouseRuntime: Sendable {
    public let config: GatehouseConfig
    public let database: any Database
    public let logger: Logger
    let secret: String
    let passwords: PasswordService
    let email: EmailSender?
    let rateLimitStore: (any RateLimitStore)?
    /// Plugin callbacks run here, never on the event loops, so plugins may block in host calls.
    let pluginWorkers: NIOThreadPool
    static let pluginWorkerCount = max(4, System.coreCount * 2)
    /// Session lookups cached across generations, invalidated by every instance on the database.
    let sessionCache: SessionCache
    private let reports = NIOLockedValueBox<[PluginReport]>([])
    /// The configuration file a reload re-reads (nil: none, defaults and environment only).
    let configPath: String?
    /// The libraries the last load accepted, by path: reused while their file's bytes are
    /// unchanged, and kept serving when a reload finds an untrusted file in their place.
    let libraries = NIOLockedValueBox<[String: PluginLibrary]>([:])
    let reloading = ReloadGate()
    private let current: NIOLockedValueBox<PluginGeneration?>
    private let generationCounter = NIOLockedValueBox(0)

    /// Opens the database, resolves the secret, loads the plugins in `pluginsDir`, migrates and
    /// installs the first generation.
    public static func start(config: GatehouseConfig, configPath: String? = nil, logger: Logger) async throws -> GatehouseRuntime {
        let database = try await openDatabase(config, logger: logger)
        let runtime = try await GatehouseRuntime(config: config, configPath: configPath, database: database, logger: logger)
        // The core's tables (the plugin key-value store among them) exist before any plugin's `init`.
        try await runtime.migrate(to: PluginGeneration.schema(of: [CorePlugin(config)]))
        let loaded = runtime.loadPlugins(config)
        try await runtime.install(plugins: await runtime.migratable(loaded, config), config: config)
        return runtime
    }

    /// Opens the libraries in `config.pluginsDir` (reusing unchanged ones) and records the reports.
    func loadPlugins(_ config: GatehouseConfig) -> [LoadedPlugin] {
        let known = libraries.withLockedValue { $0 }
        let loader = PluginLoader(config: config, logger: logger, workers: pluginWorkers)
        let (loaded, reports) = loader.load(core: CorePlugin(config)) { known[$0] }
        libraries.withLockedValue { $0 = Dictionary(uniqueKeysWithValues: loaded.map { ($0.library.sourcePath, $0.library) }) }
        self.reports.withLockedValue { $0 = reports }
        return loaded
    }

    /// Leaves out library plugins whose schema cannot be planned against this database (its
    /// introspection failed), each with one log line.
    func migratable(_ plugins: [LoadedPlugin], _ config: GatehouseConfig) async -> [LoadedPlugin] {
        var accepted: [LoadedPlugin] = []
        let migrator = Migrator(database: database)
        for plugin in plugins {
            do {
                _ = try await migrator.plan(for: PluginGeneration.schema(of: [CorePlugin(config)] + accepted + [plugin]))
                accepted.append(plugin)
            } catch {
                skip(plugin, because: error)
            }
        }
        return accepted
    }

    private func skip(_ plugin: LoadedPlugin, because error: any Error) {
        reports.withLockedValue { $0.markSkipped(plugin.library.sourcePath, plugin: plugin.id, reason: error, logger: logger) }
    }

    /// What became of each library in the plugins directory at the last load.
    public var pluginReports: [PluginReport] { reports.withLockedValue { $0 } }

    /// What a load records (its reports, the libraries kept for reuse): a failed reload puts the
    /// serving generation's back.
    struct LoadRecord {
        fileprivate let reports: [PluginReport]
        fileprivate let libraries: [String: PluginLibrary]
    }

    var loadRecord: LoadRecord {
        LoadRecord(reports: pluginReports, libraries: libraries.withLockedValue { $0 })
    }

    func restore(_ record: LoadRecord) {
        reports.withLockedValue { $0 = record.reports }
        libraries.withLockedValue { $0 = record.libraries }
    }

    public static func openDatabase(_ config: GatehouseConfig, logger: Logger) async throws -> any Database {
        switch try DatabaseLocation(config.database) {
        case .sqlite(let path): try await SQLiteDatabase.open(path: path, logger: logger)
        case .postgres(let location): try await PostgresDatabase.open(location, poolSize: config.databasePoolSize, logger: logger)
        }
    }

    private init(config: GatehouseConfig, configPath: String?, database: any Database, logger: Logger) async throws {
        self.config = config
        self.configPath = configPath
        self.database = database
        self.logger = logger
        let location = try DatabaseLocation(config.database)
        let secretFolder = switch location {
        case .sqlite(let path): (path as NSString).deletingLastPathComponent
        case .postgres: ""
        }
        if config.secret == nil, case .postgres = location {
            logger.warning("no secret configured: every instance on this database needs the same one, or their cookies fail on the others")
        }
        if case .nobody = ClientAddress.Trust(config) {
            logger.notice("forwarded client addresses are ignored in production until advanced.ipAddress.trustedProxies names the proxies in front of Gatehouse")
        }
        secret = try ServerSecret.resolve(configured: config.secret, folder: secretFolder, logger: logger)
        let pool = NIOThreadPool(numberOfThreads: max(2, System.coreCount))
        pool.start()
        passwords = try PasswordService(algorithm: config.emailAndPassword.passwordHash, pool: pool)
        email = try EmailSetup.sender(config, logger: logger)
        if config.rateLimitEnabled {
            rateLimitStore = config.rateLimit.storage == .memory ? MemoryRateLimitStore() : nil
        } else {
            rateLimitStore = nil
        }
        current = NIOLockedValueBox(nil)
        sessionCache = SessionCache(feed: database.changeFeed)
        pluginWorkers = NIOThreadPool(numberOfThreads: Self.pluginWorkerCount)
        pluginWorkers.start()
    }


    /// Builds and validates a generation for `plugins`, applies its migrations and swaps it in.
    /// On any failure the previous generation keeps serving and the database is untouched by
    /// the failed one (migrations run only once the generation is known to be valid). A library
    /// plugin whose `init` fails is left out with one log line and the others go on, unless the
    /// previous generation serves a plugin of that id: then the reload fails.
    public func install(plugins: [any AuthPlugin], config: GatehouseConfig? = nil) async throws {
        let config = config ?? self.config
        var plugins = plugins
        var auth = try await authContext(for: plugins, config)
        let failed = await startLibraries(in: plugins, auth: auth)
        // On a reload, a plugin now serving that fails to start (its new settings are invalid,
        // say) fails the reload: its running instance keeps serving rather than dropping out.
        if let serving = current.withLockedValue({ $0 }),
           let refused = failed.first(where: { plugin in serving.plugins.contains { $0.id == plugin.id } }) {
            for case let plugin as LoadedPlugin in plugins where !failed.contains(where: { $0 === plugin }) { await plugin.stop() }
            throw ServingPluginFailed(plugin: refused.id)
        }
        if !failed.isEmpty {
            plugins.removeAll { plugin in failed.contains { $0 === (plugin as? LoadedPlugin) } }
            await dropUnmetRequirements(&plugins)
            auth = try await authContext(for: plugins, config)
            for case let plugin as LoadedPlugin in plugins { plugin.host.auth = auth }
        }
        for case let plugin as LoadedPlugin in plugins {
            if let subscriber = plugin.eventSubscriber { auth.events.subscribe(subscriber) }
        }
        auth.services.register(plugins.compactMap { $0 as? LoadedPlugin })
        var store = rateLimitStore
        if config.rateLimitEnabled, config.rateLimit.storage == .database {
            store = DatabaseRateLimitStore(database: database, adapter: auth.store.adapter)
        }
        let all = [CorePlugin(config)] + plugins
        let number = generationCounter.withLockedValue { $0 += 1; return $0 }
        let generation: PluginGeneration
        do {
            generation = try PluginGeneration(number: number, plugins: all, auth: auth, rateLimitStore: store)
            try await migrate(to: auth.schema)
        } catch {
            // The instances started for this generation will never serve: release them.
            for case let plugin as LoadedPlugin in plugins { await plugin.stop() }
            throw error
        }
        current.withLockedValue { $0 = generation }
        logger.info("plugin generation installed", metadata: [
            "generation": "\(number)", "plugins": "\(all.map(\.id).joined(separator: ","))", "routes": "\(generation.routes.endpoints.count)",
        ])
    }

    private func migrate(to schema: Schema) async throws {
        for statement in try await Migrator(database: database).migrate(to: schema) {
            logger.info("migration applied", metadata: ["sql": "\(statement)"])
        }
    }

    /// The shared context for the core plus `plugins`, with their merged schema.
    private func authContext(for plugins: [any AuthPlugin], _ config: GatehouseConfig) async throws -> AuthContext {
        let all = [CorePlugin(config)] + plugins
        let owners = Dictionary(all.flatMap { plugin in plugin.schema.tables.map { ($0.name, plugin.id) } }, uniquingKeysWith: { first, _ in first })
        return await AuthContext(config: config, secret: secret, database: database, schema: try PluginGeneration.schema(of: all),
                                 passwords: passwords, email: email, logger: logger, sessionCache: sessionCache, tableOwners: owners,
                                 pluginReports: { [weak self] in self?.pluginReports ?? [] })
    }

    /// Stops and leaves out, until none is left, the started plugins that require (`requires`, or
    /// a non-optional `uses`) a plugin whose `init` failed.
    private func dropUnmetRequirements(_ plugins: inout [any AuthPlugin]) async {
        while true {
            let loaded = plugins.compactMap { $0 as? LoadedPlugin }
            let unmet = loaded.lazy.compactMap { plugin in
                plugin.manifest.requiredPlugins.first { id in !loaded.contains { $0.id == id } }.map { (plugin, $0) }
            }.first
            guard let (plugin, missing) = unmet else { return }
            plugins.removeAll { ($0 as? LoadedPlugin) === plugin }
            await plugin.stop()
            skip(plugin, because: PluginLoadError.missingRequirement(missing))
        }
    }

    /// Runs `init` of every library plugin; returns those that failed (logged and reported).
    private func startLibraries(in plugins: [any AuthPlugin], auth: AuthContext) async -> [LoadedPlugin] {
        var failed: [LoadedPlugin] = []
        for case let plugin as LoadedPlugin in plugins {
            do {
                try await plugin.start(auth: auth)
            } catch {
                skip(plugin, because: error)
                failed.append(plugin)
            }
        }
        return failed
    }

    /// The generation new requests start on.
    var generation: PluginGeneration {
        current.withLockedValue { $0! }
    }
}

/// A reload in which a plugin the current generation serves failed `init`.
struct ServingPluginFailed: Error, CustomStringConvertible {
    let plugin: String
    var description: String { "plugin \(plugin) did not start (see its \"plugin skipped\" line); its running instance keeps serving" }
}
