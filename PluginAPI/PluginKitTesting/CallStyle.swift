import Foundation

/// Whether the callback running on this thread was declared `"blocking": false`: the real host
/// runs those on a request thread, where `call`, `password_*` and (since 1.2) `kv_*` answer
/// GH_DENIED, and so does the fake, so a unit test catches a callback that would fail in a server.
enum CallStyle {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var isNonBlocking: Bool { pthread_getspecific(key) != nil }

    static func run<T>(nonBlocking: Bool, _ body: () throws -> T) rethrows -> T {
        let outer = pthread_getspecific(key)
        pthread_setspecific(key, nonBlocking ? UnsafeRawPointer(bitPattern: 1) : nil)
        defer { pthread_setspecific(key, outer) }
        return try body()
    }
}
