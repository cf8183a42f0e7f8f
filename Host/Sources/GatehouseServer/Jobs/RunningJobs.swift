import NIOConcurrencyHelpers

/// The jobs running in this process, by key (`plugin/name`): a job never starts while it runs
/// here, whatever the generation, and shutdown waits for them.
final class RunningJobs: Sendable {
    private let keys = NIOLockedValueBox<Set<String>>([])

    func begin(_ key: String) {
        _ = keys.withLockedValue { $0.insert(key) }
    }

    func end(_ key: String) {
        _ = keys.withLockedValue { $0.remove(key) }
    }

    func contains(_ key: String) -> Bool {
        keys.withLockedValue { $0.contains(key) }
    }

    var isEmpty: Bool { keys.withLockedValue { $0.isEmpty } }
    var count: Int { keys.withLockedValue { $0.count } }

    /// Waits until nothing runs, or `limit` has passed (a callback cannot be interrupted).
    func drain(limit: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while !isEmpty, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
