import Foundation
import GatehouseJSON
import JWTKit
import NIOConcurrencyHelpers

/// Providers' signing keys by JWKS URL. A token signed with a key id the cached set lacks
/// triggers one refetch (providers rotate keys), at most every `minimumRefetchInterval`
/// per URL so forged key ids cannot make us hammer the provider.
public final class JWKSCache: Sendable {
    public static let shared = JWKSCache()
    static let lifetime: TimeInterval = 3600
    static let minimumRefetchInterval: TimeInterval = 10

    struct KeySet: Sendable {
        let keys: JWTKeyCollection
        let keyIDs: Set<String>
        let fetched: Date
    }

    private let sets = NIOLockedValueBox([String: KeySet]())

    /// Keys that can verify a token with key id `kid` (nil: the token names none).
    func keys(at url: String, for kid: String?) async throws -> KeySet {
        let cached = sets.withLockedValue { $0[url] }
        if let cached {
            let fresh = Date().timeIntervalSince(cached.fetched) < Self.lifetime
            let knowsKey = kid.map(cached.keyIDs.contains) ?? true
            let mayRefetch = Date().timeIntervalSince(cached.fetched) >= Self.minimumRefetchInterval
            if fresh && (knowsKey || !mayRefetch) { return cached }
        }
        let set = try await Self.fetch(url)
        sets.withLockedValue { $0[url] = set }
        return set
    }

    private static func fetch(_ url: String) async throws -> KeySet {
        let document = try await ProviderHTTP.getJSON(url)
        guard let entries = document["keys"]?.arrayValue else { throw ProviderFailure("\(url) is not a JWK set") }
        let collection = JWTKeyCollection()
        var ids = Set<String>()
        let decoder = JSONDecoder()
        for (index, entry) in entries.enumerated() where entry["use"]?.stringValue != "enc" {
            // Keys jwt-kit cannot use (other key types, encryption keys) are skipped, not fatal.
            guard var jwk = try? decoder.decode(JWK.self, from: Data(entry.serializedBytes())) else { continue }
            let kid = entry["kid"]?.stringValue ?? "gatehouse-unnamed-\(index)"
            jwk.keyIdentifier = JWKIdentifier(string: kid)
            guard (try? await collection.add(jwk: jwk)) != nil else { continue }
            ids.insert(kid)
        }
        guard !ids.isEmpty else { throw ProviderFailure("\(url) holds no usable signing key") }
        return KeySet(keys: collection, keyIDs: ids, fetched: Date())
    }
}
