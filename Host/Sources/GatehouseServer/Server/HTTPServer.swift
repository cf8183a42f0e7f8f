import Hummingbird
import Logging
import Prometheus

extension GatehouseRuntime {
    /// Serves HTTP on the configured host and port until SIGTERM or SIGINT, then closes the database.
    public func serve(metricsRegistry: PrometheusCollectorRegistry) async throws {
        let responder = GatehouseResponder(runtime: self, metricsRegistry: metricsRegistry)
        let logger = self.logger
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(config.host, port: config.port), serverName: "Gatehouse"),
            onServerRunning: { channel in
                logger.notice("listening", metadata: [
                    "address": "\(channel.localAddress?.description ?? "?")", "port": "\(channel.localAddress?.port ?? 0)",
                ])
            },
            logger: logger
        )
        let watcher = Task { await watchForChanges() }
        try await app.runService()
        watcher.cancel()
        logger.notice("shutting down")
        try await database.close()
    }
}
