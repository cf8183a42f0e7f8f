import Foundation

/// A JWT of the signed-in session for the app's other services (the jwt plugin's `GET /token`),
/// verified by them against the server's `/jwks`.
struct CachedJWT: Sendable {
    let token: String
    let expiresAt: Date
    /// The session token it was issued for: another session never gets it.
    let sessionToken: String
}

/// A `GET /token` under way, for one session.
struct JWTFetch: Sendable {
    let id = UUID()
    let sessionToken: String
    let task: Task<String, any Error>
}

extension GatehouseClient {
    /// How long before its `exp` a kept JWT is fetched anew.
    static let jwtRenewalMargin: TimeInterval = 60

    /// The session's JWT: kept until 60 s before its `exp`, then fetched again. Concurrent calls
    /// share one request.
    public func token() async throws -> String {
        guard let session = sessionToken else { throw GatehouseError(status: 401, code: "UNAUTHORIZED", message: "Not signed in") }
        if let cached = cachedJWT, cached.sessionToken == session, cached.expiresAt.timeIntervalSinceNow > Self.jwtRenewalMargin {
            return cached.token
        }
        // Joins a fetch under way for the same session only: another session's JWT is never shared.
        if let fetching = fetchingJWT, fetching.sessionToken == session { return try await fetching.task.value }
        let fetching = JWTFetch(sessionToken: session, task: Task { try await fetchJWT(for: session) })
        fetchingJWT = fetching
        defer { if fetchingJWT?.id == fetching.id { fetchingJWT = nil } }
        return try await fetching.task.value
    }

    private func fetchJWT(for session: String) async throws -> String {
        struct TokenAnswer: Decodable { var token: String }
        // `send` reads the token before its first suspension, so this is the token it sends.
        guard session == sessionToken else { throw GatehouseError.sessionChanged }
        let jwt = try await send(.get, "/token").decode(TokenAnswer.self).token
        guard let expiresAt = Self.expiry(ofJWT: jwt) else {
            throw GatehouseError(status: 200, code: "INVALID_RESPONSE", message: "The token has no readable exp claim")
        }
        if session == sessionToken { cachedJWT = CachedJWT(token: jwt, expiresAt: expiresAt, sessionToken: session) }
        return jwt
    }

    /// The `exp` claim of a compact JWS (read, not verified: the client only schedules renewal).
    static func expiry(ofJWT jwt: String) -> Date? {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        struct Claims: Decodable { var exp: Double }
        guard let payload = Data(base64Encoded: base64), let claims = try? JSONDecoder().decode(Claims.self, from: payload) else { return nil }
        return Date(timeIntervalSince1970: claims.exp)
    }
}
