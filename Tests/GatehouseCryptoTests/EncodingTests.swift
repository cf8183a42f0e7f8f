import GatehouseCrypto
import Testing

@Suite struct EncodingTests {
    @Test func hexRoundTrip() {
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(Hex.decode("00ABff") == [0x00, 0xAB, 0xFF])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func base64BothAlphabets() {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF]
        #expect(Base64.standard(bytes) == "+/+/")
        #expect(Base64.url(bytes) == "-_-_")
        #expect(Base64.decode("-_-_") == bytes)
        #expect(Base64.decode("+/+/") == bytes)
        #expect(Base64.url([0x61]) == "YQ")
        #expect(Base64.decode("YQ") == [0x61])
    }

    @Test func uriComponentMatchesJavaScript() {
        #expect(URIComponent.encode("a b/c=d&e") == "a%20b%2Fc%3Dd%26e")
        #expect(URIComponent.encode("safe-_.!~*'()") == "safe-_.!~*'()")
        #expect(URIComponent.encode("é") == "%C3%A9")
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals("abc", "abc"))
        #expect(!ConstantTime.equals("abc", "abd"))
        #expect(!ConstantTime.equals("abc", "abcd"))
    }

    @Test func randomIdentifiersUseTheAlphabetAndLength() {
        let ids = (0..<200).map { _ in RandomIdentifier.generate() }
        #expect(Set(ids).count == 200)
        #expect(ids.allSatisfy { $0.count == 32 && $0.allSatisfy { $0.isLetter || $0.isNumber } && $0.allSatisfy(\.isASCII) })
        let lower = RandomIdentifier.string(length: 500, alphabet: RandomIdentifier.lowerAlphanumeric)
        #expect(lower.allSatisfy { $0.isLowercase || $0.isNumber })
    }
}
