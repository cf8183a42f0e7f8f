import CBOR
import PluginKit

/// Authenticator data (WebAuthn §6.1): rpIdHash ‖ flags ‖ signCount ‖ [attested credential
/// data] ‖ [extensions], parsed strictly: nothing may follow what the flags announce.
struct AuthenticatorData: Sendable {
    let rpIDHash: [UInt8]
    let userPresent: Bool
    let userVerified: Bool
    let backupEligible: Bool
    let backedUp: Bool
    let signCount: UInt32
    let aaguid: [UInt8]?
    let credentialID: [UInt8]?
    /// The COSE public key, decoded and as its original bytes.
    let credentialKey: (value: CBORValue, bytes: [UInt8])?

    init(_ bytes: [UInt8], failure: PasskeyError) throws(PluginError) {
        func fail(_ reason: String) -> PluginError { failure.failure("authenticator data: \(reason)") }
        guard bytes.count >= 37 else { throw fail("shorter than 37 bytes") }
        rpIDHash = Array(bytes[0..<32])
        let flags = bytes[32]
        userPresent = flags & 0x01 != 0
        userVerified = flags & 0x04 != 0
        backupEligible = flags & 0x08 != 0
        backedUp = flags & 0x10 != 0
        let attested = flags & 0x40 != 0
        let hasExtensions = flags & 0x80 != 0
        signCount = bytes[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        var offset = 37
        if attested {
            guard bytes.count >= offset + 18 else { throw fail("attested credential data is truncated") }
            aaguid = Array(bytes[offset..<offset + 16])
            let length = Int(bytes[offset + 16]) << 8 | Int(bytes[offset + 17])
            offset += 18
            guard length > 0, length <= 1023, bytes.count >= offset + length else { throw fail("credential id length is invalid") }
            credentialID = Array(bytes[offset..<offset + length])
            offset += length
            do {
                let (key, used) = try CBORDecoder.decodePrefix(Array(bytes[offset...]))
                credentialKey = (key, Array(bytes[offset..<offset + used]))
                offset += used
            } catch {
                throw fail("credential public key is not valid CBOR (\(error))")
            }
        } else {
            (aaguid, credentialID, credentialKey) = (nil, nil, nil)
        }
        if hasExtensions {
            do { _ = try CBORDecoder.decode(Array(bytes[offset...])) } catch { throw fail("extensions are not valid CBOR (\(error))") }
        } else if offset != bytes.count {
            throw fail("\(bytes.count - offset) unexpected trailing bytes")
        }
    }
}
