import Foundation

/// Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature scheme"): the
/// `webhook-signature` header `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, keyed with
/// the endpoint secret `whsec_<base64 key>`. The HMAC is passed in, so the scheme carries no crypto
/// library: the plugin uses the host's, the tests swift-crypto's.
public struct WebhookSignature: Sendable {
    public typealias HMACSHA256 = @Sendable (_ key: [UInt8], _ message: [UInt8]) throws -> [UInt8]

    public static let secretPrefix = "whsec_"
    /// Key sizes the settings accept, in bytes (the specification asks for 24 to 64).
    public static let keySizes = 24...64

    private let key: [UInt8]
    private let hmac: HMACSHA256

    /// A signer for `secret` (`whsec_` + base64); nil unless it decodes to 24–64 bytes.
    public init?(secret: String, hmac: @escaping HMACSHA256) {
        guard secret.hasPrefix(Self.secretPrefix),
              let key = Data(base64Encoded: String(secret.dropFirst(Self.secretPrefix.count))),
              Self.keySizes.contains(key.count)
        else { return nil }
        self.key = Array(key)
        self.hmac = hmac
    }

    /// The `webhook-signature` header value for message `id` sent at `timestamp` (unix seconds).
    public func header(id: String, timestamp: Int, body: String) throws -> String {
        "v1," + Data(try hmac(key, Array("\(id).\(timestamp).\(body)".utf8))).base64EncodedString()
    }
}
