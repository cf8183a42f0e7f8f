import Foundation
import GatehouseJSON
import GatehousePluginABI
import GatehouseStorage

/// The operations `plugins.list`, `plugins.enable` and `plugins.disable` (ABI 1.10 host), for a
/// plugin whose manifest declares `"managesPlugins": true` (an operator console): the plugins
/// directory as `gatehouse plugins list` shows it, and the CLI's `enable` and `disable`, which the
/// running server picks up by hot reload.
enum PluginDirectoryOperations {
    static let names: Set<String> = ["plugins.list", "plugins.enable", "plugins.disable"]

    static func run(_ operation: String, _ input: JSONValue, host: PluginHostContext, auth: AuthContext) throws -> JSONValue {
        guard host.managesPlugins else {
            throw HostOperations.Failure(status: GH_DENIED, code: "PLUGINS_NOT_MANAGED",
                                         message: "plugin \(host.pluginID) does not declare \"managesPlugins\": true in its manifest")
        }
        let catalog = PluginCatalog(pluginsDir: auth.config.pluginsDir)
        if operation == "plugins.list" { return list(catalog, auth) }
        let id = try HostOperations.required(input, "id")
        let enabling = operation == "plugins.enable"
        do {
            if enabling { try catalog.enable([id]) } else { try catalog.disable([id]) }
        } catch where error.unknownID {
            throw HostOperations.Failure(status: GH_NOT_FOUND, code: "PLUGIN_NOT_FOUND",
                                         message: enabling ? "no plugin \"\(id)\" is available" : "no plugin \"\(id)\" is enabled or available")
        } catch {
            throw HostOperations.Failure(status: GH_ERROR, code: "PLUGIN_DIRECTORY_FAILED", message: error.description)
        }
        host.logger.notice(enabling ? "plugin enabled" : "plugin disabled", metadata: ["id": "\(id)"])
        return ["status": true]
    }

    /// One entry per id enabled (`<pluginsDir>/<id>.so`) or available (`available/<id>.so`), by id.
    private static func list(_ catalog: PluginCatalog, _ auth: AuthContext) -> JSONValue {
        let files = FileManager.default
        let enabledIDs = ((try? files.contentsOfDirectory(atPath: catalog.pluginsDir)) ?? [])
            .filter { $0.hasSuffix(".so") }.map { String($0.dropLast(3)) }
        let availableIDs = catalog.availableIDs()
        let reports = auth.pluginReports()
        let reloaded = JSONValue.string(ISOTimestamp.format(auth.createdAt))
        let entries = Set(enabledIDs + availableIDs).sorted().map { id -> JSONValue in
            let enabled = enabledIDs.contains(id)
            // The loader's report of the enabled file: its status, version, digest and verdict.
            let report = enabled ? reports.first { ($0.path as NSString).lastPathComponent == "\(id).so" } : nil
            let path = enabled ? catalog.enabledPath(id) : catalog.availableDir + "/\(id).so"
            // A library no load has reported on (one only available): read and checked here.
            let examination = report?.sha256 == nil ? auth.config.pluginTrust.examine(path) : nil
            let digest = examination?.sha256 ?? report?.sha256
            let verdict = examination?.trust ?? report?.trust
            return [
                "id": .string(id), "enabled": .bool(enabled), "available": .bool(availableIDs.contains(id)),
                "status": report.map { .string($0.status) } ?? .null, "version": report?.version.map(JSONValue.string) ?? .null,
                "sha256": digest.map(JSONValue.string) ?? .null, "trust": verdict.map(JSONValue.string) ?? .null,
                "lastReload": report?.status == "loaded" ? reloaded : .null,
            ]
        }
        return ["plugins": .array(entries), "lastReload": reloaded]
    }
}
