import Foundation

/// Runs blocking libcurl transfers on threads of their own, away from the async executors.
enum CurlThread {
    /// Runs `transfer` on a new thread and resumes the caller with its outcome.
    static func run(_ transfer: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                continuation.resume(with: Result { try transfer() })
            }
            thread.name = "gatehouse-email"
            thread.start()
        }
    }
}
