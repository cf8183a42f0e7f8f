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

    /// Loads one library in isolation: its trust checked against `trust` where it lies, then a
    /// throwaway host on a temporary database, its `init` run with empty settings. The report's
    /// status says whether it would load.
    public static func check(path: String, trust: PluginTrustPolicy, logger: Logger) async throws -> PluginReport {
        let examination = trust.examine(path)
        guard let file = examination.file, case .success(let verdict) = examination.outcome else {
            var report = PluginReport(path: path, status: "skipped: \(examination.trust)")
            report.sha256 = examination.sha256
            report.trust = examination.trust
            return report
        }
        let scratch = NSTemporaryDirectory() + "gatehouse-check-\(UUID().uuidString)"
        let plugins = scratch + "/plugins.d"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // The checked bytes, under a name the loader takes, with a mode its own checks accept.
        let name = (path as NSString).lastPathComponent
        let copy = plugins + "/" + (name.hasSuffix(".so") ? name : name + ".so")
        try file.bytes.write(to: URL(fileURLWithPath: copy))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: copy)
        var config = try GatehouseConfig.load(path: nil, environment: [:])
        config.pluginsDir = plugins
        config.database = "sqlite:\(scratch)/check.db"
        config.secret = GatehouseSecretGenerator.generate()
        let runtime = try await GatehouseRuntime.start(config: config, logger: logger)
        var report = runtime.pluginReports.first ?? PluginReport(path: path, status: "skipped: not found")
        report.sha256 = file.sha256
        report.trust = verdict.description
        try await runtime.database.close()
        return report
    }
}
