/// Short messages between the Gatehouse instances that share one database, so each can drop
/// what it cached in process when another changes it. PostgreSQL carries them with
/// `LISTEN`/`NOTIFY`; a database only one process uses (SQLite) has no feed.
public protocol ChangeFeed: Sendable {
    /// Sends `message` to every instance listening, this one included.
    func publish(_ message: String) async
    /// Calls `handler` for every event from now on, on a task of the feed's.
    func subscribe(_ handler: @escaping @Sendable (ChangeFeedEvent) -> Void)
}

public enum ChangeFeedEvent: Sendable, Equatable {
    /// The listener is connected: messages from now on arrive.
    case connected
    /// The listener lost its connection: messages may have been missed until `connected`.
    case disconnected
    case message(String)
}
