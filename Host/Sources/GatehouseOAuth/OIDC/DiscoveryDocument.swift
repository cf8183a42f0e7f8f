import Foundation
import GatehouseJSON
import NIOConcurrencyHelpers

/// The parts of an OpenID Provider's `/.well-known/openid-configuration` a client uses.
public struct DiscoveryDocument: Sendable {
    public let issuer: String
    public let authorizationEndpoint: String?
    public let tokenEndpoint: String?
    public let userInfoEndpoint: String?
    public let jwksURI: String?
    public let tokenEndpointAuthMethods: [String]

    init(_ json: JSONValue, url: String) throws {
        guard let issuer = json["issuer"]?.stringValue, !issuer.isEmpty else {
            throw ProviderFailure("discovery document at \(url) has no issuer")
        }
        self.issuer = issuer
        authorizationEndpoint = json["authorization_endpoint"]?.stringValue
        tokenEndpoint = json["token_endpoint"]?.stringValue
        userInfoEndpoint = json["userinfo_endpoint"]?.stringValue
        jwksURI = json["jwks_uri"]?.stringValue
        tokenEndpointAuthMethods = json["token_endpoint_auth_methods_supported"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}

/// Fetches discovery documents and keeps each for an hour; a failed fetch is not kept, so
/// the next sign-in tries again.
public final class OIDCDiscovery: Sendable {
    public static let shared = OIDCDiscovery()
    static let lifetime: TimeInterval = 3600

    private let cache = NIOLockedValueBox([String: (document: DiscoveryDocument, fetched: Date)]())

    public func document(at url: String) async throws -> DiscoveryDocument {
        if let hit = cache.withLockedValue({ $0[url] }), Date().timeIntervalSince(hit.fetched) < Self.lifetime {
            return hit.document
        }
        let document = try DiscoveryDocument(try await ProviderHTTP.getJSON(url), url: url)
        cache.withLockedValue { $0[url] = (document, Date()) }
        return document
    }
}
