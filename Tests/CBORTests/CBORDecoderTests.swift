@testable import CBOR
import Testing

/// RFC 8949 Appendix A examples, and the inputs WebAuthn must refuse.
@Suite struct CBORDecoderTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    @Test(arguments: [
        ("00", CBORValue.unsigned(0)), ("01", .unsigned(1)), ("0a", .unsigned(10)), ("17", .unsigned(23)),
        ("1818", .unsigned(24)), ("1819", .unsigned(25)), ("1864", .unsigned(100)), ("1903e8", .unsigned(1000)),
        ("1a000f4240", .unsigned(1_000_000)), ("1b000000e8d4a51000", .unsigned(1_000_000_000_000)),
        ("1bffffffffffffffff", .unsigned(18_446_744_073_709_551_615)),
        ("3bffffffffffffffff", .negative(18_446_744_073_709_551_615)),
        ("20", .negative(0)), ("29", .negative(9)), ("3863", .negative(99)), ("3903e7", .negative(999)),
        ("f90000", .float(0.0)), ("f93c00", .float(1.0)), ("f93e00", .float(1.5)), ("f97bff", .float(65504.0)),
        ("fa47c35000", .float(100_000.0)), ("fb3ff199999999999a", .float(1.1)), ("f9c400", .float(-4.0)),
        ("f97c00", .float(.infinity)), ("f4", .bool(false)), ("f5", .bool(true)), ("f6", .null), ("f7", .undefined),
        ("c074323031332d30332d32315432303a30343a30305a", .tagged(0, .text("2013-03-21T20:04:00Z"))),
        ("d74401020304", .tagged(23, .bytes([1, 2, 3, 4]))),
        ("40", .bytes([])), ("4401020304", .bytes([1, 2, 3, 4])), ("60", .text("")), ("6161", .text("a")),
        ("6449455446", .text("IETF")), ("62225c", .text("\"\\")), ("62c3bc", .text("ü")), ("63e6b0b4", .text("水")),
        ("64f0908591", .text("𐅑")), ("80", .array([])), ("83010203", .array([.unsigned(1), .unsigned(2), .unsigned(3)])),
        ("8301820203820405", .array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])])),
        ("a0", .map([])), ("a201020304", .map([(.unsigned(1), .unsigned(2)), (.unsigned(3), .unsigned(4))])),
        ("a26161016162820203", .map([(.text("a"), .unsigned(1)), (.text("b"), .array([.unsigned(2), .unsigned(3)]))])),
        ("826161a161626163", .array([.text("a"), .map([(.text("b"), .text("c"))])])),
    ])
    func decodesTheRFCExamples(hex: String, expected: CBORValue) throws {
        #expect(try CBORDecoder.decode(Self.bytes(hex)) == expected)
    }

    @Test func twentyFourElementsAndNaN() throws {
        let list = try CBORDecoder.decode(Self.bytes("98190102030405060708090a0b0c0d0e0f101112131415161718181819"))
        #expect(list == .array((1...25).map { .unsigned(UInt64($0)) }))
        guard case .float(let nan) = try CBORDecoder.decode(Self.bytes("f97e00")) else { Issue.record("not a float"); return }
        #expect(nan.isNaN)
    }

    @Test(arguments: [
        ("5f42010243030405ff", "indefinite length"),          // indefinite byte string (RFC example)
        ("9fff", "indefinite length"), ("bf616101ff", "indefinite length"),
        ("1c", "reserved additional information 28"),
        ("0001", "trailing bytes after the item"),
        ("44010203", "length runs past the end"), ("9a7fffffff", "length runs past the end"),
        ("a201020103", "duplicate map key"),
        ("62c328", "text is not UTF-8"),
        ("", "unexpected end of input"), ("19ff", "unexpected end of input"),
        ("f820", "unsupported simple value 24"),
    ])
    func refusesWhatWebAuthnForbids(hex: String, reason: String) {
        #expect { try CBORDecoder.decode(Self.bytes(hex)) } throws: { ($0 as? CBORError)?.reason == reason }
    }

    @Test func refusesDeepNesting() {
        let deep = [UInt8](repeating: 0x81, count: 40) + [0x00]
        #expect(throws: CBORError.self) { try CBORDecoder.decode(deep) }
    }

    @Test func prefixDecodingReportsTheLength() throws {
        let (value, length) = try CBORDecoder.decodePrefix(Self.bytes("a10102ff00"))
        #expect(value[1] == .unsigned(2) && length == 3)
    }
}
