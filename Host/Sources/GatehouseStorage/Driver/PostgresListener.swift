import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// `LISTEN gatehouse_changes` on one dedicated connection (outside the query pool), reconnecting
/// every second while the server is away. `PostgresDatabase` sends with `NOTIFY` through its pool.
final class PostgresListener: Sendable {
    static let channel = "gatehouse_changes"
    private let location: PostgresLocation
    private let logger: Logger
    private let handlers = NIOLockedValueBox<[@Sendable (ChangeFeedEvent) -> Void]>([])
    private let listener = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(location: PostgresLocation, logger: Logger) {
        self.location = location
        self.logger = logger
    }

    /// The first subscriber starts the listener.
    func subscribe(_ handler: @escaping @Sendable (ChangeFeedEvent) -> Void) {
        handlers.withLockedValue { $0.append(handler) }
        listener.withLockedValue { task in
            if task == nil { task = Task { await self.listen() } }
        }
    }

    func stop() async {
        let task = listener.withLockedValue { $0 }
        task?.cancel()
        await task?.value
    }

    private func emit(_ event: ChangeFeedEvent) {
        for handler in handlers.withLockedValue({ $0 }) { handler(event) }
    }

    private func listen() async {
        while !Task.isCancelled {
            if let connection = try? await PostgresDatabase.connect(location, logger: logger, timeout: .seconds(5)) {
                do {
                    let notifications = try await connection.listen(Self.channel)
                    emit(.connected)
                    for try await notification in notifications { emit(.message(notification.payload)) }
                } catch {
                    if !Task.isCancelled { logger.warning("lost the change feed; dropping cached sessions until it is back") }
                }
                emit(.disconnected)
                try? await connection.close()
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
