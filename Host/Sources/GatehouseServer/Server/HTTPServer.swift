import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

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
        // A group shuts its services down in reverse order: the job scheduler stops first (its
        // running jobs finish while requests are still served), then the watcher, before the
        // HTTP server drains, so no reload runs while the server (or its files) goes away.
        let services = ServiceGroup(configuration: .init(
            services: [app, ChangeWatcher(runtime: self), JobScheduler(runtime: self)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await services.run()
        logger.notice("shutting down")
        try await database.close()
    }
}

/// Hot reload's file and SIGHUP watcher as a service of the server's lifetime.
private struct ChangeWatcher: Service {
    let runtime: GatehouseRuntime

    func run() async {
        await cancelWhenGracefulShutdown { await runtime.watchForChanges() }
    }
}
