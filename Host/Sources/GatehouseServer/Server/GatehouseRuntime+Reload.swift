import Dispatch
import Foundation
import Metrics

/// Hot reload by generation: re-read the configuration and `plugins.d`, build and swap in a new
/// generation, let requests in flight finish on the old one, then retire its plugin instances.
/// If anything in the new generation fails, the old one keeps serving.
extension GatehouseRuntime {
    /// Reloads now; returns whether a new generation was installed.
    @discardableResult
    public func reload(reason: String) async -> Bool {
        await reloading.run {
            let started = DispatchTime.now().uptimeNanoseconds
            let previous = generation
            let loaded = loadRecord
            do {
                let config = try GatehouseConfig.load(path: configPath)
                warnAboutRestartOnlyChanges(config)
                let plugins = await migratable(loadPlugins(config), config)
                try await install(plugins: plugins, config: config)
                let elapsed = DispatchTime.now().uptimeNanoseconds - started
                self.record(success: true, nanoseconds: elapsed)
                logger.notice("reloaded", metadata: [
                    "reason": "\(reason)", "generation": "\(generation.number)", "duration_ms": "\(Double(elapsed) / 1e6)",
                ])
                Task { await retire(previous) }
                return true
            } catch {
                restore(loaded)
                self.record(success: false, nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
                logger.error("reload failed; still serving the previous generation", metadata: [
                    "reason": "\(reason)", "generation": "\(previous.number)", "error": "\(error)",
                ])
                return false
            }
        }
    }

    /// Waits for the old generation's requests (up to 30 s), then quiesces and deinits its plugins.
    private func retire(_ old: PluginGeneration) async {
        for _ in 0..<3000 where old.inFlight.value > 0 {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for case let plugin as LoadedPlugin in old.plugins { await plugin.stop() }
    }

    private func warnAboutRestartOnlyChanges(_ new: GatehouseConfig) {
        let changed = [
            ("database", config.database != new.database), ("server.host", config.host != new.host),
            ("server.port", config.port != new.port), ("secret", config.secret != new.secret),
            ("basePath", config.basePath != new.basePath), ("email", config.email.transport != new.email.transport),
            ("rateLimit.storage", config.rateLimit.storage != new.rateLimit.storage),
        ].filter(\.1).map(\.0)
        if !changed.isEmpty {
            logger.warning("these settings take effect only after a restart", metadata: ["keys": "\(changed.joined(separator: ","))"])
        }
    }

    private func record(success: Bool, nanoseconds: UInt64) {
        Counter(label: "gatehouse_plugin_reloads_total", dimensions: [("result", success ? "ok" : "failed")]).increment()
        Timer(label: "gatehouse_plugin_reload_duration_seconds").recordNanoseconds(Int64(nanoseconds))
        Gauge(label: "gatehouse_plugin_last_reload_success").record(success ? 1 : 0)
        Gauge(label: "gatehouse_plugin_generation").record(generation.number)
    }

    /// Reloads when the configuration file or a `.so` in the plugins directory changes (checked
    /// four times a second) and on SIGHUP, until the task is cancelled. While the configuration
    /// file or the plugins directory is missing (being replaced, or its folder removed), the
    /// current generation keeps serving and one warning says so; their return is a change.
    func watchForChanges() async {
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        signal(SIGHUP, SIG_IGN)
        hangup.setEventHandler { [self] in Task { await reload(reason: "SIGHUP") } }
        hangup.resume()
        defer { hangup.cancel() }
        var pluginsDir: String { generation.auth.config.pluginsDir }
        var last = FileFingerprint.snapshot(configPath: configPath, pluginsDir: pluginsDir)
        var warnedMissing = false
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            guard !Task.isCancelled else { return }
            let now = FileFingerprint.snapshot(configPath: configPath, pluginsDir: pluginsDir)
            guard now != last else { continue }
            let missing = [configPath, pluginsDir].compactMap { $0 }.filter { !FileManager.default.fileExists(atPath: $0) }
            if !missing.isEmpty {
                if !warnedMissing {
                    logger.warning("configuration file or plugins directory is missing; still serving the current generation",
                                   metadata: ["missing": "\(missing.joined(separator: ","))", "generation": "\(generation.number)"])
                    warnedMissing = true
                }
                continue
            }
            warnedMissing = false
            // What this reload reads is what was seen before it: a change made while it runs (a
            // second `plugins enable` right after the first) differs from `last` and gets a reload
            // of its own. A new pluginsDir in the configuration costs one more reload, no more.
            last = now
            await reload(reason: "files changed")
        }
    }
}

/// Lets one reload run at a time; a reload asked for meanwhile waits its turn.
actor ReloadGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async -> T) async -> T {
        if busy { await withCheckedContinuation { waiting.append($0) } }
        busy = true
        let result = await body()
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        return result
    }
}
