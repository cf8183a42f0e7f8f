import GatehouseJSON
import Logging
import NIOConcurrencyHelpers

/// Events between plugins (ABI 1.1). `events.emit` from one plugin reaches every other plugin of
/// the same generation whose manifest subscribes to the name, as a GH_CALL_EVENT callback with
/// `{name, payload, source}`. Delivery starts after `emit` returns (so an emitter never waits on,
/// or deadlocks with, a subscriber), goes to subscribers in load order, and happens at most once;
/// a subscriber's failure is logged and affects no one else.
final class PluginEvents: Sendable {
    struct Subscriber: Sendable {
        let pluginID: String
        let entries: [PluginManifest.EventEntry]
        let deliver: @Sendable (_ index: Int, _ envelope: JSONValue) async throws -> Void
    }

    private let subscribers = NIOLockedValueBox<[Subscriber]>([])
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func subscribe(_ subscriber: Subscriber) {
        subscribers.withLockedValue { $0.append(subscriber) }
    }

    /// Starts delivering `name` to its subscribers; returns how many there are.
    @discardableResult
    func publish(_ name: String, payload: JSONValue, source: String) -> Int {
        let targets = subscribers.withLockedValue { $0 }.compactMap { subscriber -> (Subscriber, Int)? in
            guard subscriber.pluginID != source, let index = subscriber.entries.firstIndex(where: { $0.matches(name) }) else { return nil }
            return (subscriber, index)
        }
        guard !targets.isEmpty else { return 0 }
        let envelope: JSONValue = ["name": .string(name), "payload": payload, "source": .string(source)]
        let logger = logger
        Task {
            for (subscriber, index) in targets {
                do {
                    try await subscriber.deliver(index, envelope)
                } catch {
                    logger.error("plugin event delivery failed", metadata: ["event": "\(name)", "plugin": "\(subscriber.pluginID)", "error": "\(error)"])
                }
            }
        }
        return targets.count
    }
}
