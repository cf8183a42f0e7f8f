import Foundation
import GatehouseJSON

extension OAuthProvider {
    /// How its ID tokens are checked; nil when the provider has no JWKS (no ID-token sign-in).
    public func idTokenExpectations(nonce: String?) -> IDTokenExpectations? {
        guard let jwksURI else { return nil }
        var expected = IDTokenExpectations(jwksURI: jwksURI, issuers: idTokenIssuers, audiences: [clientID] + extraAudiences, nonce: nonce)
        expected.acceptsHashedNonce = profile == .apple
        return expected
    }

    /// Verifies an ID token (signature, issuer, audience, expiry, nonce) and returns its claims.
    public func verifyIDToken(_ token: String, nonce: String?) async throws -> JSONValue {
        guard let expected = idTokenExpectations(nonce: nonce) else {
            throw IDTokenRejection(description: "\(id) publishes no signing keys")
        }
        return try await IDTokenVerifier.verify(token, expected)
    }

    /// The user behind `tokens`: from the ID token's claims for OpenID providers, from the
    /// user-info endpoint otherwise (or when the claims lack the email). `callbackUser` is
    /// the `user` form field Apple posts on first consent (it carries the name).
    public func fetchProfile(tokens: OAuthTokens, idTokenClaims: JSONValue?, callbackUser: JSONValue? = nil) async throws -> ProviderProfile {
        var raw = idTokenClaims ?? .object([:])
        switch profile {
        case .openID, .apple, .microsoft:
            if raw["sub"] == nil || raw["email"] == nil, userInfoEndpoint != nil, tokens.accessToken != nil {
                let info = try await userInfo(tokens)
                if let sub = raw["sub"], let infoSub = info["sub"], sub != infoSub {
                    throw ProviderFailure("user info of \(id) is for another subject than the ID token")
                }
                var merged = raw.objectValue ?? [:]
                for (key, value) in info.objectValue ?? [:] where merged[key] == nil { merged[key] = value }
                raw = .object(merged)
            }
        case .github:
            raw = try await userInfo(tokens)
            return try await githubProfile(raw, tokens)
        case .discord, .facebook, .twitter, .gitlab:
            raw = try await userInfo(tokens)
        }
        guard var mapped = profile.map(raw) else { throw ProviderFailure("the profile from \(id) has no usable subject") }
        if profile == .apple, mapped.name.isEmpty, let name = callbackUser?["name"] {
            mapped.name = [name["firstName"]?.stringValue, name["lastName"]?.stringValue].compactMap { $0 }.joined(separator: " ")
        }
        return mapped
    }

    private func userInfo(_ tokens: OAuthTokens) async throws -> JSONValue {
        guard let endpoint = userInfoEndpoint, let accessToken = tokens.accessToken else {
            throw ProviderFailure("\(id) has no user-info endpoint or no access token")
        }
        return try await ProviderHTTP.getJSON(endpoint, headers: [("Authorization", "Bearer " + accessToken)])
    }

    /// GitHub keeps the email verification state (and private emails) at `/user/emails`.
    private func githubProfile(_ raw: JSONValue, _ tokens: OAuthTokens) async throws -> ProviderProfile {
        guard var mapped = profile.map(raw), let endpoint = userInfoEndpoint, let accessToken = tokens.accessToken else {
            throw ProviderFailure("the profile from \(id) has no usable subject")
        }
        let emails = (try? await ProviderHTTP.getJSON(endpoint + "/emails", headers: [("Authorization", "Bearer " + accessToken)]))?
            .arrayValue ?? []
        if mapped.email == nil {
            mapped.email = (emails.first { $0["primary"]?.boolValue == true } ?? emails.first)?["email"]?.stringValue
        }
        mapped.emailVerified = emails.first { $0["email"]?.stringValue == mapped.email }?["verified"]?.boolValue ?? false
        return mapped
    }
}
