import Foundation

/// Runs blocking libcurl transfers on threads of their own, away from the async executors.
public enum CurlThread {
    /// Runs `transfer` on a new thread and resumes the caller with its outcome.
    public static func run<T: Sendable>(name: String, _ transfer: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                continuation.resume(with: Result { try transfer() })
            }
            thread.name = name
            thread.start()
        }
    }
}
