import GatehouseJSON
import PluginKit

/// `clientDataJSON` (WebAuthn §5.8.1): what the browser says it was asked to sign, checked
/// against the ceremony's type, the challenge the server issued and the allowed origins.
struct ClientData: Sendable {
    let bytes: [UInt8]

    init(_ encoded: String?, type: String, challenge: String, origins: [String], failure: PasskeyError) throws(PluginError) {
        func fail(_ reason: String) -> PluginError { failure.failure("client data: \(reason)") }
        guard let encoded, let bytes = Base64URL.decode(encoded), let json = try? JSONValue.parse(bytes) else { throw fail("not base64url JSON") }
        guard json["type"]?.stringValue == type else { throw fail("type is not \(type)") }
        guard let received = json["challenge"]?.stringValue, ConstantTime.equal(received, challenge) else { throw fail("challenge does not match") }
        guard let origin = json["origin"]?.stringValue, origins.contains(origin) else { throw fail("origin \(json["origin"]?.stringValue ?? "none") is not allowed") }
        guard json["crossOrigin"]?.boolValue != true else { throw fail("cross-origin ceremonies are not allowed") }
        self.bytes = bytes
    }
}
