import GatehouseJSON
import GatehousePluginABI
import Logging
import Metrics
import NIOConcurrencyHelpers

/// Events between plugins (ABI 1.1) and from the host (ABI 1.2, `HostEvents`). `events.emit` from
/// one plugin reaches every other plugin of the same generation whose manifest subscribes to the
/// name, as a GH_CALL_EVENT callback with `{name, payload, source}`. Delivery starts after `emit`
/// returns (so an emitter never waits on, or deadlocks with, a subscriber), goes to subscribers
/// in load order, and happens at most once; a subscriber's failure is logged and counted
/// (`gatehouse_plugin_event_deliveries_total`) and affects no one else. Entries marked
/// `"sync": true` are delivered before the request that caused the event answers (`EventScope`).
/// An awaited emit (1.5, `publishNow`) is the exception: it is delivered at once, on the emitter's
/// thread, before `emit` answers.
final class PluginEvents: Sendable {
    struct Subscriber: Sendable {
        let pluginID: String
        let entries: [PluginManifest.EventEntry]
        /// Built for ABI 1.2 or later: receives host events and has its `sync` entries honoured.
        let speaksHostEvents: Bool
        let deliver: @Sendable (_ index: Int, _ envelope: JSONValue) async throws -> Void
        /// The same delivery on the calling worker thread (an awaited emit, 1.5); false if it failed.
        let deliverHere: @Sendable (_ index: Int, _ envelope: JSONValue) -> Bool

        func isSync(_ index: Int) -> Bool { speaksHostEvents && entries[index].sync }
    }

    private typealias Target = (subscriber: Subscriber, index: Int)

    private let subscribers = NIOLockedValueBox<[Subscriber]>([])
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func subscribe(_ subscriber: Subscriber) {
        subscribers.withLockedValue { $0.append(subscriber) }
    }

    /// Starts delivering `name` to its subscribers; returns how many there are.
    @discardableResult
    func publish(_ name: String, payload: JSONValue, source: String) -> Int {
        let targets = targets(of: name, from: source)
        guard !targets.isEmpty else { return 0 }
        let envelope = Envelopes(name, payload, source, scope: EventScope.current)
        let later = targets.filter { !$0.subscriber.isSync($0.index) }
        let beforeAnswer = targets.filter { $0.subscriber.isSync($0.index) }
        if !later.isEmpty {
            Task { await deliver(name, envelope, to: later) }
        }
        if !beforeAnswer.isEmpty {
            let delivery: @Sendable () async -> Void = { await self.deliver(name, envelope, to: beforeAnswer) }
            // Outside a request (or once it has answered) there is nothing to wait for.
            if EventScope.current?.hold(delivery) != true { Task { await delivery() } }
        }
        return targets.count
    }

    /// `events.emit` with `await: true` (1.5 host): delivers `name` to every subscriber now, one
    /// after another on the calling worker thread, as services are served (a hop to other
    /// workers could exhaust the pool), so they have acted on it when the emitter goes on. The
    /// anonymous plugin lets others move an anonymous user's data before it deletes the user.
    func publishNow(_ name: String, payload: JSONValue, source: String) throws -> (subscribers: Int, failed: Int) {
        guard PluginThread.isWorker else { throw BlockingCallRefused() }
        guard CallDepth.current < PluginServices.maxDepth else {
            throw HostOperations.Failure(status: GH_DENIED, code: "SERVICE_DEPTH_EXCEEDED", message: "awaited events nest deeper than \(PluginServices.maxDepth)")
        }
        let targets = targets(of: name, from: source)
        let envelope = Envelopes(name, payload, source, scope: EventScope.onThisThread)
        var failed = 0
        for (subscriber, index) in targets {
            let ok = CallDepth.nested { subscriber.deliverHere(index, subscriber.speaksHostEvents ? envelope.current : envelope.older) }
            record(name, subscriber, ok: ok)
            if !ok { failed += 1 }
        }
        return (targets.count, failed)
    }

    /// Whether any plugin would receive `name` from `source` (so building its payload is worth it).
    func isSubscribed(_ name: String, from source: String) -> Bool {
        !targets(of: name, from: source).isEmpty
    }

    /// The subscribers of `name` with the index of their first matching entry; never the emitter.
    private func targets(of name: String, from source: String) -> [Target] {
        subscribers.withLockedValue { $0 }.compactMap { subscriber -> Target? in
            guard subscriber.pluginID != source, source != HostEvents.source || subscriber.speaksHostEvents,
                let index = subscriber.entries.firstIndex(where: { $0.matches(name) })
            else { return nil }
            return (subscriber, index)
        }
    }

    /// Since 1.2 an object payload carries the request's client; older subscribers get the
    /// payload as emitted, as before.
    private struct Envelopes: Sendable {
        let current: JSONValue
        let older: JSONValue

        init(_ name: String, _ payload: JSONValue, _ source: String, scope: EventScope?) {
            current = ["name": .string(name), "payload": EventScope.stamped(payload, scope: scope), "source": .string(source)]
            older = ["name": .string(name), "payload": payload, "source": .string(source)]
        }
    }

    private func deliver(_ name: String, _ envelope: Envelopes, to targets: [Target]) async {
        for (subscriber, index) in targets {
            do {
                try await subscriber.deliver(index, subscriber.speaksHostEvents ? envelope.current : envelope.older)
                record(name, subscriber, ok: true)
            } catch {
                logger.error("plugin event delivery failed", metadata: ["event": "\(name)", "plugin": "\(subscriber.pluginID)", "error": "\(error)"])
                record(name, subscriber, ok: false)
            }
        }
    }

    private func record(_ name: String, _ subscriber: Subscriber, ok: Bool) {
        Counter(label: "gatehouse_plugin_event_deliveries_total",
                dimensions: [("plugin", subscriber.pluginID), ("event", name), ("result", ok ? "ok" : "failed")]).increment()
    }
}
