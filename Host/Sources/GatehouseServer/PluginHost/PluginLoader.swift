import Foundation
import GatehouseJSON
import GatehouseStorage
import Logging
import NIOPosix

/// What happened to one `.so` in the plugins directory (`gatehouse plugins list`).
public struct PluginReport: Sendable {
    public let path: String
    public var id: String?
    public var version: String?
    public var abi: String?
    /// "loaded", "disabled", or "skipped: <reason>".
    public var status: String
    public var routes: [String] = []
    /// SHA-256 of the file, lowercase hex (nil when it could not be read).
    public var sha256: String?
    /// The trust verdict: "trusted", "trusted (digest listed, signed by KEY)" or "not trusted: <reason>".
    public var trust: String?
}

extension [PluginReport] {
    /// Records that the library at `path` will not serve, and says so in one log line.
    mutating func markSkipped(_ path: String, plugin: String, reason: any Error, logger: Logger) {
        logger.error("plugin skipped", metadata: ["path": "\(path)", "plugin": "\(plugin)", "reason": "\(reason)"])
        guard let i = firstIndex(where: { $0.path == path }) else { return }
        self[i].status = "skipped: \(reason)"
        self[i].routes = []
    }
}

/// Finds the plugins in `pluginsDir`, checks each before trusting it, and keeps those that
/// fit: a bad plugin gets one clear log line and is skipped; the host keeps serving.
struct PluginLoader {
    let config: GatehouseConfig
    let logger: Logger
    let workers: NIOThreadPool
    /// Where private copies of the libraries are made before opening them.
    /// Its name is unguessable, so nobody can make it first and keep this process from loading.
    var loadDirectory: String { Self.loadDirectory }
    private static let loadDirectory =
        NSTemporaryDirectory() + "gatehouse-plugins-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.lowercased())"

    /// Loads every `.so`; `previous` returns the library the last load accepted from a path.
    func load(core: any AuthPlugin, previous: (String) -> PluginLibrary? = { _ in nil }) -> (plugins: [LoadedPlugin], reports: [PluginReport]) {
        let directory = config.pluginsDir
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".so") }.sorted()
        let directoryRefusal: PluginTrustError?
        do { try PluginFile.checkDirectory(directory); directoryRefusal = nil } catch { directoryRefusal = files.isEmpty ? nil : error }
        var accepted: [LoadedPlugin] = []
        var reports: [PluginReport] = []
        var schema = (try? PluginGeneration.schema(of: [core])) ?? Schema()
        var routes = RouteTable()
        for endpoint in core.endpoints { try? routes.add(endpoint) }

        for file in files {
            let path = directory + "/" + file
            var report = PluginReport(path: path, status: "loaded")
            do {
                let library = try trustedLibrary(at: path, directoryRefusal: directoryRefusal, previous: previous(path), report: &report)
                report.id = library.id
                report.version = library.version
                report.abi = library.abiVersion
                let settings = config.plugins[library.id] ?? .object([:])
                if settings["enabled"] == .bool(false) {
                    report.status = "disabled"
                    reports.append(report)
                    logger.info("plugin disabled by configuration", metadata: ["plugin": "\(library.id)", "path": "\(path)"])
                    continue
                }
                if library.id == core.id { throw PluginLoadError.duplicateID("the host's core") }
                if let other = accepted.first(where: { $0.id == library.id }) { throw PluginLoadError.duplicateID(other.library.sourcePath) }
                let manifest = try PluginManifest(json: String(cString: library.descriptor.pointee.manifest_json), pluginID: library.id,
                                                  abiMinor: Int(library.descriptor.pointee.abi_minor), settings: settings)
                var trialSchema = schema
                var trialRoutes = routes
                let plugin = LoadedPlugin(library: library, manifest: manifest,
                                          host: PluginHostContext(pluginID: library.id, settings: settings, logger: logger,
                                                                   jobs: manifest.jobs, abiMinor: Int(library.descriptor.pointee.abi_minor),
                                                                   managesPlugins: manifest.managesPlugins),
                                          workers: workers)
                do {
                    for table in try trialSchema.merge(manifest.schema, from: library.id, skippingAbsentTables: plugin.fieldsWaitForTheirTables) {
                        logger.info("plugin fields left out: their table is not loaded", metadata: ["plugin": "\(library.id)", "table": "\(table)"])
                    }
                } catch {
                    throw PluginLoadError.conflict(error.description)
                }
                for endpoint in plugin.endpoints {
                    do { try trialRoutes.add(endpoint) } catch { throw PluginLoadError.conflict(error.description) }
                }
                schema = trialSchema
                routes = trialRoutes
                report.routes = plugin.endpoints.map { "\($0.method.rawValue) \($0.path)" }
                accepted.append(plugin)
                reports.append(report)
            } catch {
                reports.append(report)
                reports.markSkipped(path, plugin: report.id ?? "?", reason: error, logger: logger)
            }
        }
        // Drop plugins whose required plugins are missing, until nothing changes.
        var changed = true
        while changed {
            changed = false
            for plugin in accepted {
                guard let missing = plugin.manifest.requiredPlugins.first(where: { id in !accepted.contains { $0.id == id } }) else { continue }
                accepted.removeAll { $0 === plugin }
                reports.markSkipped(plugin.library.sourcePath, plugin: plugin.id, reason: PluginLoadError.missingRequirement(missing), logger: logger)
                changed = true
            }
        }
        return (accepted, reports)
    }

    /// The library to serve from `path`. Its file is read once and checked against the trust
    /// policy before any of its code runs; an untouched file or unchanged bytes reuse the library
    /// already open. When
    /// the file is refused but the library accepted from this path last time still passes the
    /// policy, that one keeps serving: a replaced file can neither come in nor push it out.
    private func trustedLibrary(at path: String, directoryRefusal: PluginTrustError?, previous: PluginLibrary?,
                                report: inout PluginReport) throws -> PluginLibrary {
        do {
            if let directoryRefusal {
                report.sha256 = PluginFile.digest(atPath: path)
                throw directoryRefusal
            }
            // The file the library in service came from, and its signature, untouched since: its
            // bytes were read, hashed and verified then, so only the policy needs asking again.
            if var unchanged = previous, let fingerprint = unchanged.sourceFingerprint, try PluginFile.fingerprint(path) == fingerprint,
               config.pluginTrust.stillTrusts(unchanged.trust) {
                let signer = config.pluginTrust.publicKeys.isEmpty ? nil : unchanged.trust.signer
                unchanged.trust = PluginTrustVerdict(sha256: unchanged.trust.sha256, signer: signer, policy: config.pluginTrust)
                report.sha256 = unchanged.trust.sha256
                report.trust = unchanged.trust.description
                return unchanged
            }
            let file = try PluginFile.read(path)
            report.sha256 = file.sha256
            let verdict = try config.pluginTrust.verify(file)
            report.trust = verdict.description
            guard var reused = previous, reused.trust.sha256 == file.sha256 else {
                return try PluginLibrary.open(file, trust: verdict, loadDirectory: loadDirectory)
            }
            reused.trust = verdict
            reused.sourceFingerprint = file.fingerprint
            return reused
        } catch let refusal as PluginTrustError {
            report.trust = refusal.description
            guard let previous, config.pluginTrust.stillTrusts(previous.trust) else { throw refusal }
            logger.error("plugin refused; still serving the previous library", metadata: [
                "path": "\(path)", "plugin": "\(previous.id)", "reason": "\(refusal)",
            ])
            report.trust = "\(refusal.description) (the previous library, SHA-256 \(previous.trust.sha256), keeps serving)"
            return previous
        }
    }
}
