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
    private let current: NIOLockedValueBox<PluginGeneration?>
    private let generationCounter = NIOLockedValueBox(0)

    /// Opens the database, resolves the secret, migrates and installs the core generation.
    public static func start(config: GatehouseConfig, logger: Logger) async throws -> GatehouseRuntime {
        let database = try await openDatabase(config, logger: logger)
        let runtime = try await GatehouseRuntime(config: config, database: database, logger: logger)
        try await runtime.install(plugins: [])
        return runtime
    }

    public static func openDatabase(_ config: GatehouseConfig, logger: Logger) async throws -> any Database {
        switch try DatabaseLocation(config.database) {
        case .sqlite(let path): try await SQLiteDatabase.open(path: path, logger: logger)
        }
    }

    private init(config: GatehouseConfig, database: any Database, logger: Logger) async throws {
        self.config = config
        self.database = database
        self.logger = logger
        guard case .sqlite(let path) = try DatabaseLocation(config.database) else { throw ConfigError(key: "database", "unsupported") }
        secret = try ServerSecret.resolve(configured: config.secret, databasePath: path, logger: logger)
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
    }

    /// The core's contributor followed by `plugins`.
    func contributors(_ plugins: [any AuthPlugin]) -> [any AuthPlugin] {
        [CorePlugin(includeRateLimitTable: config.rateLimit.storage == .database)] + plugins
    }

    /// Builds and validates a generation for `plugins`, applies its migrations and swaps it in.
    /// On any failure the previous generation keeps serving and the database is untouched by
    /// the failed one (migrations run only once the generation is known to be valid).
    public func install(plugins: [any AuthPlugin]) async throws {
        let all = contributors(plugins)
        let schema = try PluginGeneration.schema(of: all)
        let auth = await AuthContext(config: config, secret: secret, database: database, schema: schema, passwords: passwords,
                                     email: email, logger: logger)
        var store = rateLimitStore
        if config.rateLimitEnabled, config.rateLimit.storage == .database {
            store = DatabaseRateLimitStore(database: database, adapter: auth.store.adapter)
        }
        let number = generationCounter.withLockedValue { $0 += 1; return $0 }
        let generation = try PluginGeneration(number: number, plugins: all, auth: auth, rateLimitStore: store)
        for statement in try await Migrator(database: database).migrate(to: schema) {
            logger.info("migration applied", metadata: ["sql": "\(statement)"])
        }
        current.withLockedValue { $0 = generation }
        logger.info("plugin generation installed", metadata: [
            "generation": "\(number)", "plugins": "\(all.map(\.id).joined(separator: ","))", "routes": "\(generation.routes.endpoints.count)",
        ])
    }

    /// The generation new requests start on.
    var generation: PluginGeneration {
        current.withLockedValue { $0! }
    }
}
