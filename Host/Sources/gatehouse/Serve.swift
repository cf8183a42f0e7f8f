import ArgumentParser
import GatehouseServer
import Metrics
import Prometheus

/// `gatehouse serve`: runs the HTTP server.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start the server (the default command).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        let logger = bootstrapLogging(level: config.logLevel)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        if try options.path() == nil {
            logger.notice("no configuration file: serving the embedded defaults", metadata: [
                "database": "\(config.databaseDisplayed)", "baseURL": "\(config.baseURL)",
            ])
        }
        let runtime = try await GatehouseRuntime.start(config: config, configPath: try options.path(), logger: logger)
        try await runtime.serve(metricsRegistry: registry)
    }
}
