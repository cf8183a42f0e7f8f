import GatehouseCrypto
import GatehouseStorage
import Logging
import NIOPosix

/// The `migrate` command's view of the schema: the core plus every plugin in `pluginsDir` that
/// would load (opened and checked, not initialised).
public struct SchemaMigration: Sendable {
    let schema: Schema
    let migrator: Migrator

    public init(config: GatehouseConfig, database: any Database, logger: Logger) throws {
        let core = CorePlugin(config)
        let loader = PluginLoader(config: config, logger: logger, workers: NIOThreadPool(numberOfThreads: 1))
        schema = try PluginGeneration.schema(of: [core] + loader.load(core: core).plugins)
        migrator = Migrator(database: database)
    }

    public func plan() async throws -> [String] { try await migrator.plan(for: schema) }
    public func apply() async throws -> [String] { try await migrator.migrate(to: schema) }
}

/// New secrets: 64 characters from the system CSPRNG (about 380 bits).
public enum GatehouseSecretGenerator {
    public static func generate() -> String {
        RandomIdentifier.string(length: 64, alphabet: RandomIdentifier.alphanumeric)
    }
}
