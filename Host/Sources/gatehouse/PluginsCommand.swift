import ArgumentParser
import Foundation
import GatehouseServer

/// `gatehouse plugins list`, `check PATH.so`, `enable ID…`, `disable ID…`, `keygen` and `sign`.
struct PluginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plugins", abstract: "Inspect, enable, disable and sign plugins.",
                                                    subcommands: [List.self, Check.self, Enable.self, Disable.self, Keygen.self, Sign.self, New.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each enabled library and what became of it (with its SHA-256 and trust verdict), then the available ones.")

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load()
            let reports = PluginInspection.list(config: config, logger: bootstrapLogging(level: "critical"))
            if reports.isEmpty { print("No plugins enabled in \(config.pluginsDir).") }
            for report in reports {
                print([report.id ?? "?", report.version ?? "-", "ABI \(report.abi ?? "-")", report.status, report.path,
                       report.sha256 ?? "-", report.trust ?? "-"].joined(separator: "\t"))
                for route in report.routes { print("\t\(route)") }
            }
            let catalog = PluginCatalog(pluginsDir: config.pluginsDir)
            let available = catalog.available()
            print("")
            print(available.isEmpty ? "Nothing available in \(catalog.availableDir)." : "Available in \(catalog.availableDir):")
            for entry in available {
                let state = entry.enabledCopyDiffers ? "enabled (another build)" : entry.enabled ? "enabled" : "not enabled"
                print([entry.id, state, entry.sha256 ?? "-"].joined(separator: "\t"))
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load one plugin in isolation and validate it; exits non-zero with the reason.")

        @Argument(help: "Path to the plugin's .so file.")
        var path: String

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            guard FileManager.default.fileExists(atPath: path) else {
                FileHandle.standardError.write(Data("gatehouse: \(path): no such file\n".utf8))
                throw ExitCode.failure
            }
            // Only the configuration's pluginTrust applies; the library is loaded with default settings.
            let trust = try options.load().pluginTrust
            let report = try await PluginInspection.check(path: path, trust: trust, logger: bootstrapLogging(level: "critical"))
            guard report.status == "loaded" else {
                FileHandle.standardError.write(Data("gatehouse: \(path): \(report.status)\n".utf8))
                print("sha256 \(report.sha256 ?? "-")")
                throw ExitCode.failure
            }
            print("\(report.id ?? "?") \(report.version ?? "") (ABI \(report.abi ?? "?")): OK")
            for route in report.routes { print("  \(route)") }
            print("sha256 \(report.sha256 ?? "-")")
            print(report.trust ?? "-")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable plugins: copy <pluginsDir>/available/ID.so (and its .sig) into the plugins directory; a running server reloads.")

        @OptionGroup var plugins: CatalogSelection

        func run() async throws {
            try plugins.change(PluginCatalog.enable) { catalog, id in "enabled \(id): \(catalog.enabledPath(id))" }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable plugins: remove ID.so (and its .sig) from the plugins directory; a running server reloads.")

        @OptionGroup var plugins: CatalogSelection

        func run() async throws {
            try plugins.change(PluginCatalog.disable) { _, id in "disabled \(id)" }
        }
    }
}

/// The plugins `enable` and `disable` act on, in the configured plugins directory.
struct CatalogSelection: ParsableArguments {
    @Argument(help: "Plugin ids (file name without .so; for enable, as named in <pluginsDir>/available).")
    var ids: [String]

    @OptionGroup var options: ConfigOptions

    /// Applies the catalog method `change` to the ids, then prints `done`'s line for each.
    func change(_ change: (PluginCatalog) -> ([String]) throws(PluginCatalog.Failure) -> Void,
                done: (PluginCatalog, String) -> String) throws {
        let catalog = PluginCatalog(pluginsDir: try options.load().pluginsDir)
        try reportFailure { () throws(PluginCatalog.Failure) in try change(catalog)(ids) }
        for id in ids { print(done(catalog, id)) }
    }
}

/// Runs `body`; a failure is printed on stderr, and the command exits non-zero.
func reportFailure<T, E: Error & CustomStringConvertible>(_ body: () throws(E) -> T) throws -> T {
    do { return try body() } catch {
        FileHandle.standardError.write(Data("gatehouse: \(error.description)\n".utf8))
        throw ExitCode.failure
    }
}
