import ArgumentParser
import GatehouseServer

/// `gatehouse migrate [--dry-run]`: prints and applies the additive schema changes.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create missing tables, columns and indexes (never drops anything).")

    @OptionGroup var options: ConfigOptions

    @Flag(name: .long, help: "Print the statements without running them.")
    var dryRun = false

    func run() async throws {
        let config = try options.load()
        let logger = bootstrapLogging(level: "warning")
        let database = try await GatehouseRuntime.openDatabase(config, logger: logger)
        let migrator = try SchemaMigration(config: config, database: database, logger: logger)
        let statements = dryRun ? try await migrator.plan() : try await migrator.apply()
        if statements.isEmpty {
            print("The database is up to date.")
        } else {
            for statement in statements { print(statement + ";") }
            print(dryRun ? "-- \(statements.count) statement(s) would run (dry run)." : "-- \(statements.count) statement(s) applied.")
        }
        try await database.close()
    }
}
