import GatehouseOAuth

/// The configured social providers by id. Discovery documents are fetched on first use (and
/// cached by `OIDCDiscovery`), so a provider that is down does not stop the server starting.
public struct SocialProviders: Sendable {
    private let byID: [String: OAuthProvider]

    init(_ providers: [OAuthProvider]) {
        byID = Dictionary(providers.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The provider as configured, without discovery (nil: not configured).
    public func configured(_ id: String) -> OAuthProvider? { byID[id] }

    /// The provider with its discovered endpoints filled in. Throws `ProviderFailure` when
    /// discovery is needed and fails.
    public func resolved(_ id: String) async throws -> OAuthProvider? {
        guard let provider = byID[id] else { return nil }
        return try await provider.resolved()
    }
}
