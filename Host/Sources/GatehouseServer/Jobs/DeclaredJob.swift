/// A job of a plugin of one generation: `plugin.manifest.jobs[index]` (ABI 1.2).
struct DeclaredJob: Sendable {
    let plugin: LoadedPlugin
    let index: Int

    var entry: PluginManifest.JobEntry { plugin.manifest.jobs[index] }
    /// Names the job across generations and instances: `plugin/name`.
    var key: String { JobKey.of(plugin: plugin.id, name: entry.name) }
}

enum JobKey {
    static func of(plugin: String, name: String) -> String { plugin + "/" + name }
}

extension PluginGeneration {
    /// The jobs of this generation's plugins; plugins built before ABI 1.2 have none.
    var jobs: [DeclaredJob] {
        plugins.compactMap { $0 as? LoadedPlugin }.filter { $0.speaks(minor: 2) }.flatMap { plugin in
            plugin.manifest.jobs.indices.map { DeclaredJob(plugin: plugin, index: $0) }
        }
    }
}
