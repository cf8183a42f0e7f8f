import Dispatch
import Foundation
import GatehouseJSON
import Logging
import NIOConcurrencyHelpers

/// The host side of one plugin instance: what its `gh_host *` handle points at.
final class PluginHostContext: Sendable {
    let pluginID: String
    let settings: JSONValue
    let logger: Logger
    /// The manifest's jobs that `jobs.schedule` may name (ABI 1.2; none for older plugins).
    let jobs: [PluginManifest.JobEntry]
    /// The ABI minor the plugin was built for: operations keep the meaning they had for it.
    let abiMinor: Int
    /// The manifest's `managesPlugins` (ABI 1.10): the `plugins.*` operations are open to it.
    let managesPlugins: Bool
    /// The auth context of the generation this instance serves; set before `init` runs.
    private let authBox = NIOLockedValueBox<AuthContext?>(nil)

    init(pluginID: String, settings: JSONValue, logger: Logger, jobs: [PluginManifest.JobEntry] = [], abiMinor: Int = PluginABI.minor,
         managesPlugins: Bool = false) {
        self.pluginID = pluginID
        self.settings = settings
        self.jobs = jobs
        self.abiMinor = abiMinor
        self.managesPlugins = managesPlugins
        var logger = logger
        logger[metadataKey: "plugin"] = .string(pluginID)
        self.logger = logger
    }

    /// The plugin's key-value store (its keys are prefixed with its id), once `auth` is set.
    var keyValues: PluginKeyValueStore? {
        auth.map { PluginKeyValueStore(database: $0.database, adapter: $0.store.adapter) }
    }

    var auth: AuthContext? {
        get { authBox.withLockedValue { $0 } }
        set { authBox.withLockedValue { $0 = newValue } }
    }

    /// The opaque pointer handed to the plugin; valid while this context is retained.
    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> PluginHostContext? {
        handle.map { Unmanaged<PluginHostContext>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }

    /// Runs async host work for a plugin thread that waits for it. Plugin callbacks run on the
    /// plugin worker pool, never on an event loop or the cooperative pool, so waiting is safe.
    /// From a non-blocking callback this would hold a request thread (and could starve the task
    /// it waits for), so it is refused instead; `call` and the password functions also refuse
    /// threads the plugin made, while the key-value functions (`anyPluginThread`) serve them.
    /// The work runs in the event scope of the callback (its request), so host events it emits
    /// carry the request's client and hold their sync deliveries for its answer.
    func wait<T: Sendable>(anyPluginThread: Bool = false, _ work: @escaping @Sendable () async throws -> T) throws -> T {
        guard PluginThread.isWorker || (anyPluginThread && !PluginThread.isServingRequest) else { throw BlockingCallRefused() }
        let result = NIOLockedValueBox<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let scope = EventScope.onThisThread
        Task {
            let outcome: Result<T, any Error>
            do { outcome = .success(try await EventScope.$current.withValue(scope) { try await work() }) } catch { outcome = .failure(error) }
            result.withLockedValue { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLockedValue { $0! }.get()
    }
}

/// A blocking host call made from a callback declared `"blocking": false`.
struct BlockingCallRefused: Error, CustomStringConvertible {
    var description: String { "blocking host calls are not allowed from a callback declared \"blocking\": false" }
}

/// Marks the plugin worker threads, so host calls know whether they may block.
enum PluginThread {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Set while a callback declared `"blocking": false` runs on the request's own thread.
    private static let servingKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var isWorker: Bool { pthread_getspecific(key) != nil }
    static var isServingRequest: Bool { pthread_getspecific(servingKey) != nil }

    static func markWorker() { pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1)) }

    static func asWorker<T>(_ body: () -> T) -> T {
        markWorker()
        return body()
    }

    static func asRequestCallback<T>(_ body: () -> T) -> T {
        pthread_setspecific(servingKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(servingKey, nil) }
        return body()
    }
}
