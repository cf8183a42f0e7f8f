import GatehouseCrypto
import GatehouseStorage

/// The `migrate` command's view of the schema: the core (plugins join in a later release).
public struct SchemaMigration: Sendable {
    let schema: Schema
    let migrator: Migrator

    public init(config: GatehouseConfig, database: any Database) throws {
        schema = try PluginGeneration.schema(of: [CorePlugin(includeRateLimitTable: config.rateLimit.storage == .database)])
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
