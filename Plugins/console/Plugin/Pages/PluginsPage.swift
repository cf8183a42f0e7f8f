import GatehouseJSON
import PluginKit

/// `GET /console/plugins` and `POST /console/plugins/<id>/enable|disable`: the host's plugin
/// directory (ABI 1.10 `plugins.list`, `plugins.enable`, `plugins.disable`, for a plugin that
/// declares `managesPlugins`), exactly as `gatehouse plugins list|enable|disable` sees and changes
/// it; the running server reloads within about a second. The console and the admin plugin it
/// stands on cannot be disabled here (400).
struct PluginsPage: Sendable {
    static let required: Set<String> = ["console", "admin"]

    let context: ConsoleContext

    func show(_ visit: Visit) throws -> PluginAnswer {
        context.show(try page(), to: try visit.actor)
    }

    func enable(_ visit: Visit) throws -> PluginAnswer { try change(visit, enable: true) }
    func disable(_ visit: Visit) throws -> PluginAnswer { try change(visit, enable: false) }

    private func change(_ visit: Visit, enable: Bool) throws -> PluginAnswer {
        let viewer = try visit.actor
        let id = try visit.param("id")
        do {
            guard Self.isPluginID(id) else { throw ConsoleError.pluginNotFound.failure }
            if !enable, Self.required.contains(id) { throw ConsoleError.pluginRequired.failure }
            _ = try context.host.call(enable ? "plugins.enable" : "plugins.disable", ["id": .string(id)])
        } catch let refusal as PluginError where refusal.isRefusal {
            var page = try page()
            page.status = refusal.consoleStatus
            page.alert = refusal
            return context.show(page, to: viewer)
        }
        let message = "Plugin \(id) \(enable ? "enabled" : "disabled"); the server reloads its plugins within a few seconds."
        return context.done(message, for: viewer, returnTo: context.paths.page("plugins"))
    }

    private func page() throws -> Page {
        let listing = try context.host.call("plugins.list", [:])
        let rows: [[String: Any]] = (listing["plugins"]?.arrayValue ?? []).map { plugin in
            let id = plugin["id"]?.stringValue ?? ""
            let enabled = plugin["enabled"]?.boolValue == true
            let required = Self.required.contains(id)
            return [
                "id": id, "state": enabled ? "enabled" : "available",
                "status": plugin["status"]?.displayText ?? "", "version": plugin["version"]?.displayText ?? "",
                "sha256": (plugin["sha256"]?.stringValue ?? "").lowercased(), "trust": plugin["trust"]?.displayText ?? "",
                "reloaded": DisplayTime.value(plugin["lastReload"]),
                "required": enabled && required, "canDisable": enabled && !required,
                "canEnable": !enabled && plugin["available"]?.boolValue == true,
                "action": context.paths.page("plugins", id),
            ]
        }
        var values: [String: Any] = ["rows": rows]
        if listing["lastReload"]?.nonNull != nil { values["lastReload"] = DisplayTime.value(listing["lastReload"]) }
        return Page(template: "plugins", title: "Plugins", section: .plugins, values: values)
    }

    /// A plugin id as the host names them (`[a-z0-9-]+`); anything else names no plugin.
    static func isPluginID(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 64 && text.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }
}
