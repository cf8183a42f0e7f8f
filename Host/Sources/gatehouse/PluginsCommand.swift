import ArgumentParser
import Foundation
import GatehouseServer

/// `gatehouse plugins list` and `gatehouse plugins check PATH.so`.
struct PluginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plugins", abstract: "Inspect plugins.",
                                                    subcommands: [List.self, Check.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each library in the plugins directory and what became of it.")

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load()
            let reports = PluginInspection.list(config: config, logger: bootstrapLogging(level: "critical"))
            if reports.isEmpty { print("No plugins in \(config.pluginsDir).") }
            for report in reports {
                print("\(report.id ?? "?")\t\(report.version ?? "-")\tABI \(report.abi ?? "-")\t\(report.status)\t\(report.path)")
                for route in report.routes { print("\t\(route)") }
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load one plugin in isolation and validate it; exits non-zero with the reason.")

        @Argument(help: "Path to the plugin's .so file.")
        var path: String

        func run() async throws {
            guard FileManager.default.fileExists(atPath: path) else {
                FileHandle.standardError.write(Data("gatehouse: \(path): no such file\n".utf8))
                throw ExitCode.failure
            }
            let report = try await PluginInspection.check(path: path, logger: bootstrapLogging(level: "critical"))
            guard report.status == "loaded" else {
                FileHandle.standardError.write(Data("gatehouse: \(path): \(report.status)\n".utf8))
                throw ExitCode.failure
            }
            print("\(report.id ?? "?") \(report.version ?? "") (ABI \(report.abi ?? "?")): OK")
            for route in report.routes { print("  \(route)") }
        }
    }
}
