import Foundation
import GatehouseClient
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A fresh client of the shared test server.
func makeClient(storage: any TokenStore = InMemoryTokenStore(), transport: any HTTPTransport = URLSessionTransport()) async throws -> GatehouseClient {
    GatehouseClient(baseURL: try await Peers.shared().baseURL, storage: storage, transport: transport)
}

func uniqueEmail(_ tag: String) -> String {
    "\(tag)-\(UUID().uuidString.prefix(12).lowercased())@example.com"
}

/// A password no screening list holds.
func uniquePassword() -> String {
    "Gh-\(UUID().uuidString)"
}

/// A signed-up, signed-in client with its e-mail and password.
func signedUpClient(_ tag: String, storage: any TokenStore = InMemoryTokenStore(),
                    transport: any HTTPTransport = URLSessionTransport()) async throws -> (GatehouseClient, email: String, password: String) {
    let client = try await makeClient(storage: storage, transport: transport)
    let email = uniqueEmail(tag), password = uniquePassword()
    try await client.signUp(email: email, password: password, name: "Test \(tag)")
    return (client, email, password)
}

/// Every state a client announces, in order.
final class StateRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [AuthState] = []
    private var task: Task<Void, Never>?

    init(_ client: GatehouseClient) async {
        let stream = await client.authStateChanges()
        task = Task { [weak self] in
            for await state in stream { self?.append(state) }
        }
    }

    deinit { task?.cancel() }

    private func append(_ state: AuthState) {
        lock.withLock { recorded.append(state) }
    }

    var states: [AuthState] { lock.withLock { recorded } }

    /// The states once `count` have arrived (or what there is after 5 s).
    func states(count: Int) async -> [AuthState] {
        for _ in 0..<500 where states.count < count {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return states
    }
}

/// The default transport, counting the requests per path (`/api/auth/token`).
final class CountingTransport: HTTPTransport, @unchecked Sendable {
    private let inner = URLSessionTransport()
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    /// GETs to fail with a transport error before they reach the server (the retry test).
    private var failuresToInject = 0

    func send(_ request: URLRequest) async throws -> (Data, HTTPURLResponse) {
        let path = request.url?.path ?? ""
        let inject = lock.withLock {
            counts[path, default: 0] += 1
            guard failuresToInject > 0 else { return false }
            failuresToInject -= 1
            return true
        }
        if inject { throw URLError(.networkConnectionLost) }
        return try await inner.send(request)
    }

    func count(_ path: String) -> Int { lock.withLock { counts[path] ?? 0 } }

    func failNext(_ count: Int) { lock.withLock { failuresToInject = count } }
}

/// The `secret` of an `otpauth://` URI.
func totpSecret(_ setup: TwoFactorSetup) -> String? {
    URLComponents(string: setup.totpURI)?.queryItems?.first { $0.name == "secret" }?.value
}
