import Foundation
import Logging
import NIOPosix

/// What `gatehouse plugins list` and `gatehouse plugins check` report.
public enum PluginInspection {
    /// The plugins directory as the server would load it: libraries opened and checked, but no
    /// plugin initialised and the database left alone.
    public static func list(config: GatehouseConfig, logger: Logger) -> [PluginReport] {
        let workers = NIOThreadPool(numberOfThreads: 1)
        return PluginLoader(config: config, logger: logger, workers: workers).load(core: CorePlugin(config)).reports
    }

    /// Loads one library in isolation: a throwaway host on a temporary database, its `init`
    /// run with empty settings. The report's status says whether it would load.
    public static func check(path: String, logger: Logger) async throws -> PluginReport {
        let scratch = NSTemporaryDirectory() + "gatehouse-check-\(UUID().uuidString)"
        let plugins = scratch + "/plugins.d"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let copy = plugins + "/" + (path as NSString).lastPathComponent
        try FileManager.default.copyItem(atPath: path, toPath: copy.hasSuffix(".so") ? copy : copy + ".so")
        var config = try GatehouseConfig.load(path: nil, environment: [:])
        config.pluginsDir = plugins
        config.database = "sqlite:\(scratch)/check.db"
        config.secret = GatehouseSecretGenerator.generate()
        let runtime = try await GatehouseRuntime.start(config: config, logger: logger)
        let report = runtime.pluginReports.first ?? PluginReport(path: path, status: "skipped: not found")
        try await runtime.database.close()
        return report
    }
}
