import ArgumentParser
import Foundation
import GatehouseServer
import Logging
import Metrics
import Prometheus

@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "A self-hosted authentication server that speaks Better Auth's API.",
        version: GatehouseVersion.current,
        subcommands: [Serve.self, Migrate.self, ConfigCommand.self, PluginsCommand.self, Secret.self, PasswordHashRate.self],
        defaultSubcommand: Serve.self
    )
}

/// Options every command that reads the configuration shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Path to the YAML configuration (default: $GATEHOUSE_CONFIG or ./gatehouse.yaml if present).")
    var config: String?

    /// The configuration file to read, or nil when there is none (defaults apply).
    func path() throws -> String? {
        if let config { return config }
        if let env = ProcessInfo.processInfo.environment["GATEHOUSE_CONFIG"] { return env }
        return FileManager.default.fileExists(atPath: "gatehouse.yaml") ? "gatehouse.yaml" : nil
    }

    /// The validated configuration; a problem is printed (naming the key) and exits with EX_CONFIG.
    func load() throws -> GatehouseConfig {
        do {
            return try GatehouseConfig.load(path: try path())
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("gatehouse: \(error.description)\n".utf8))
            throw ExitCode(78)
        }
    }
}

/// JSON logs to stdout at the configured level (once per process).
func bootstrapLogging(level: String) -> Logger {
    let level = Logger.Level(rawValue: level) ?? .info
    LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
    return Logger(label: "gatehouse")
}
