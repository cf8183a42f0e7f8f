import CBOR
import FuzzSupport

/// WebAuthn attestation objects and COSE keys (the passkey plugin).
@main enum FuzzCBOR: FuzzTarget {
    static func test(_ input: [UInt8]) {
        _ = try? CBORDecoder.decode(input)
        _ = try? CBORDecoder.decodePrefix(input)
    }
}
