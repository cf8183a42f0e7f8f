import PluginKit

/// One-time status messages ("User banned."): set by an action before its 303, shown once as
/// `<p role="status">` by the next page of the same console session. Kept in the plugin's key-value
/// store (shared by every process on the database), keyed by the console session's id.
struct FlashMessages: Sendable {
    let host: PluginHost
    /// A message nobody comes back for goes away.
    static let lifetime: Int64 = 300

    func put(_ text: String, session sessionID: String) {
        host.kvSet(Self.key(sessionID), text, ttlSeconds: Self.lifetime)
    }

    /// The message waiting for the console session, once.
    func take(session sessionID: String) -> String? {
        guard let text = host.kvGet(Self.key(sessionID)), !text.isEmpty else { return nil }
        // PluginKit has no kv delete: an empty value that expires at once.
        host.kvSet(Self.key(sessionID), "", ttlSeconds: 1)
        return text
    }

    private static func key(_ sessionID: String) -> String { "flash:" + sessionID }
}
