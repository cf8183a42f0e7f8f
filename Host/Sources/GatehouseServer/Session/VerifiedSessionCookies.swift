import GatehouseCrypto
import NIOConcurrencyHelpers

/// Session cookies whose signature checked out, by their exact value, so a request (get-session,
/// the hottest route, above all) skips the HMAC for a cookie already seen. Only genuine cookies
/// in the form the server writes are kept (a forged one is checked every time, and the other
/// percent-encodings of a genuine one cannot flood the memo); a signature stays valid as long as
/// the secret, which lives as long as this memo. Whether the session is alive is still asked of
/// the session store on every request, so a revocation bites as before. Bounded: emptied when full.
final class VerifiedSessionCookies: Sendable {
    static let capacity = 4096

    private let signer: CookieSigner
    private let tokens = NIOLockedValueBox<[String: String]>([:])

    init(signer: CookieSigner) {
        self.signer = signer
    }

    /// The session token the cookie carries, if we signed it.
    func token(_ cookieValue: String) -> String? {
        if let token = tokens.withLockedValue({ $0[cookieValue] }) { return token }
        guard let token = signer.verify(cookieValue) else { return nil }
        guard signer.sign(token) == cookieValue else { return token }
        tokens.withLockedValue { tokens in
            if tokens.count >= Self.capacity { tokens.removeAll(keepingCapacity: true) }
            tokens[cookieValue] = token
        }
        return token
    }

    /// How many cookies are remembered (for tests).
    var remembered: Int { tokens.withLockedValue(\.count) }
}
