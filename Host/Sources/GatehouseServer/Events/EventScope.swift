import Foundation
import GatehouseJSON
import NIOConcurrencyHelpers

/// What the events of one request share (ABI 1.2): the client they concern, whose `ipAddress`
/// and `userAgent` join every host event's payload, and the deliveries to `"sync": true`
/// subscribers, held until the request is about to answer. Holding them, rather than
/// delivering where they are emitted, also keeps a subscriber's callback from waiting for a
/// worker thread while the emitting plugin's own callback holds one.
final class EventScope: Sendable {
    let ipAddress: String?
    let userAgent: String?
    private let held = NIOLockedValueBox(Held())

    private struct Held {
        var deliveries: [@Sendable () async -> Void] = []
        var answered = false
    }

    @TaskLocal static var current: EventScope?

    init(ipAddress: String?, userAgent: String?) {
        self.ipAddress = ipAddress
        self.userAgent = userAgent
    }

    /// Runs `request` in this scope, then makes the held deliveries (and those they cause) before
    /// its answer goes out.
    func serving<T: Sendable>(_ request: () async -> T) async -> T {
        await Self.$current.withValue(self) {
            let answer = await request()
            var delivered = 0
            while let delivery = next() {
                // Subscribers that answer each other's events with events of their own could keep
                // the client waiting forever: past the cap, the rest goes on in the background.
                guard delivered < Self.maxSyncDeliveries else {
                    Task { await delivery() }
                    continue
                }
                await delivery()
                delivered += 1
            }
            return answer
        }
    }

    /// Deliveries one request waits for at most.
    static let maxSyncDeliveries = 256

    /// Keeps `delivery` for the end of the request; false once the request has answered.
    func hold(_ delivery: @escaping @Sendable () async -> Void) -> Bool {
        held.withLockedValue { held in
            guard !held.answered else { return false }
            held.deliveries.append(delivery)
            return true
        }
    }

    private func next() -> (@Sendable () async -> Void)? {
        held.withLockedValue { held in
            guard !held.deliveries.isEmpty else {
                held.answered = true
                return nil
            }
            return held.deliveries.removeFirst()
        }
    }
}

extension EventScope {
    /// An object `payload` with the request's `ipAddress` and `userAgent` (null outside a request)
    /// added where it has none; other payloads unchanged. `scope` is the current task's by default
    /// (a plugin worker thread passes `onThisThread`).
    static func stamped(_ payload: JSONValue, scope: EventScope? = current) -> JSONValue {
        guard var members = payload.objectValue else { return payload }
        if members["ipAddress"] == nil { members["ipAddress"] = scope?.ipAddress.map(JSONValue.string) ?? .null }
        if members["userAgent"] == nil { members["userAgent"] = scope?.userAgent.map(JSONValue.string) ?? .null }
        return .object(members)
    }
}

extension EventScope {
    /// Plugin callbacks run on worker threads outside any task, and their host calls in fresh
    /// tasks, so the task-local scope does not reach them by itself: it crosses as a value of
    /// the thread, set for the duration of the callback.
    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// `callback`, to run on a plugin thread, carrying the current scope to the host calls it makes.
    static func carried<T>(_ callback: @escaping @Sendable () -> T) -> @Sendable () -> T {
        let scope = current
        return {
            let outer = pthread_getspecific(threadKey)
            pthread_setspecific(threadKey, scope.map { UnsafeRawPointer(Unmanaged.passUnretained($0).toOpaque()) })
            defer { pthread_setspecific(threadKey, outer) }
            return callback()
        }
    }

    /// The scope of the callback running on this thread, for its host calls to re-establish.
    static var onThisThread: EventScope? {
        pthread_getspecific(threadKey).map { Unmanaged<EventScope>.fromOpaque($0).takeUnretainedValue() }
    }
}
