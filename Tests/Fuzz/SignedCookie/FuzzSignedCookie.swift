import FuzzSupport
import GatehouseCrypto

/// The session cookie's value, `encodeURIComponent(token.base64(HMAC))`, and the base64 that
/// carries the `session_data` cookie cache.
@main enum FuzzSignedCookie: FuzzTarget {
    static let signer = CookieSigner(secret: "fuzzing-secret-fuzzing-secret-32")

    static func test(_ input: [UInt8]) {
        let cookie = String(decoding: input, as: UTF8.self)
        // Only a genuine signature may verify, and it comes back as it was signed.
        if let value = signer.verify(cookie) { precondition(signer.verify(signer.sign(value)) == value) }
        _ = Base64.decode(cookie)
    }
}
