@testable import Ethereum
import Foundation
import Testing

/// Keccak-256 (published digests; the rate-boundary ones cross-checked with pycryptodome),
/// EIP-55's own examples, and the signature vectors of ../shared/vectors/siwe.md.
@Suite struct EthereumTests {
    @Test(arguments: [
        ("", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
        ("abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
        ("The quick brown fox jumps over the lazy dog", "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"),
        (String(repeating: "a", count: 135), "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446"),
        (String(repeating: "a", count: 136), "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e"),
        (String(repeating: "a", count: 200), "96ea54061def936c4be90b518992fdc6f12f535068a256229aca54267b4d084d"),
    ])
    func keccak256(message: String, digest: String) {
        #expect(Hex.encode(Keccak256.hash(Array(message.utf8))) == digest)
    }

    @Test(arguments: ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                      "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"])
    func eip55(address: String) throws {
        let lower = try #require(EthereumAddress(address.lowercased()))
        #expect(lower.checksummed == address)
        #expect(EthereumAddress(address, strict: true) != nil)
        // One letter's case flipped breaks the checksum.
        let index = address.firstIndex { $0.isLetter && $0 != "x" }!
        let flipped = address.replacingCharacters(in: index...index, with: address[index].isUppercase ? address[index].lowercased() : address[index].uppercased())
        #expect(EthereumAddress(flipped) == nil)
        #expect(EthereumAddress(address.lowercased(), strict: true) == nil)
    }

    static func message(_ address: String, _ index: Int, chain: Int = 1) -> String {
        ["localhost:3000 wants you to sign in with your Ethereum account:", address, "", "Sign in with Ethereum to the app.", "",
         "URI: http://localhost:3000", "Version: 1", "Chain ID: \(chain)", "Nonce: testnonce000\(index)ABCD",
         "Issued At: 2025-01-01T00:00:00.000Z", "Expiration Time: 2035-01-01T00:00:00.000Z"].joined(separator: "\n")
    }

    static let vectors = [
        ("0xE3d5F34021Cc2d1Dbd160D4F7fd75ED0c6200993",
         "0x276de7c649f8e3032c3fdeb5ca13222dea740bb7428f5515626eb9afb44c2e0a202f3d37589463839684dc866a8165fa3f6705082bfa43718f510c92825dba121b"),
        ("0x587071A9F7348Fe1aF6802E87Df5d80491f4236B",
         "0xc136e6247754369a315133d459ec4247cbf99f073cdb6d5a33c6dd734815da9713c616a6c27fa0748446ff39f1930fa0090628bf7e667a0caa97698d59acb1741b"),
        ("0x80B89372E24bC0a3057d8be6171E7b33e4fe0fA3",
         "0xc0d7b6af7b6214d366db8921e27e80aa01bad567eceece40a3b43d8a089685681ae12b39d02638bff30a24dfaa37ee63784d58347b382fe6ea7de4e1f99594611c"),
    ]

    @Test(arguments: 0..<3)
    func recoversTheSigner(index: Int) throws {
        let (address, signature) = Self.vectors[index]
        let message = Self.message(address, index)
        #expect(try PersonalSign.signer(of: message, signature: signature).checksummed == address)
        // v as 0/1 instead of 27/28.
        let v = UInt8(signature.suffix(2), radix: 16)! - 27
        #expect(try PersonalSign.signer(of: message, signature: String(signature.dropLast(2)) + String(format: "%02x", v)).checksummed == address)
        // Another message recovers another address.
        #expect(try PersonalSign.signer(of: Self.message(address, index, chain: 2), signature: signature).checksummed != address)
    }

    @Test func refusesMalformedSignatures() {
        let (address, signature) = Self.vectors[0]
        let message = Self.message(address, 0)
        let bytes = Hex.decode(String(signature.dropFirst(2)))!
        let n = Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")!
        // s' = n - s is the same signature's high-s twin (EIP-2 forbids it).
        var borrow = 0
        var high = [UInt8](repeating: 0, count: 32)
        for i in stride(from: 31, through: 0, by: -1) {
            let d = Int(n[i]) - Int(bytes[32 + i]) - borrow
            high[i] = UInt8((d + 256) % 256)
            borrow = d < 0 ? 1 : 0
        }
        let cases = [
            "0x" + String(signature.dropFirst(4)),                                     // 64.5 bytes
            String(signature.dropLast(2)),                                              // 64 bytes
            String(signature.dropLast(2)) + "1d",                                       // v = 29
            "0x" + Hex.encode(Array(bytes[0..<32]) + high + [bytes[64] ^ 1]),           // high s
            "0x" + String(repeating: "zz", count: 65),                                  // not hex
            String(signature.dropFirst(2)),                                             // no 0x
        ]
        for bad in cases {
            #expect(throws: PersonalSign.Failure.self) { try PersonalSign.signer(of: message, signature: bad) }
        }
    }

    @Test func parsesEveryFieldOfAMessage() throws {
        let text = """
        https://localhost:3000 wants you to sign in with your Ethereum account:
        0xE3d5F34021Cc2d1Dbd160D4F7fd75ED0c6200993

        Hi

        URI: http://localhost:3000
        Version: 1
        Chain ID: 10
        Nonce: abcdefgh1234
        Issued At: 2025-01-01T00:00:00.000Z
        Expiration Time: 2035-01-01T00:00:00Z
        Not Before: 2024-01-01T00:00:00+02:00
        Request ID: r-1
        Resources:
        - https://a.example/x
        - ipfs://b
        """
        let message = try SIWEMessage(parsing: text)
        #expect(message.scheme == "https" && message.domain == "localhost:3000" && message.statement == "Hi")
        #expect(message.uri == "http://localhost:3000" && message.chainID == 10 && message.nonce == "abcdefgh1234")
        #expect(message.notBefore == Date(timeIntervalSince1970: 1_704_060_000) && message.requestID == "r-1")
        #expect(message.resources == ["https://a.example/x", "ipfs://b"])
        let minimal = try SIWEMessage(parsing: Self.message(Self.vectors[0].0, 0).replacingOccurrences(of: "Sign in with Ethereum to the app.\n\n", with: "\n"))
        #expect(minimal.statement == nil && minimal.expirationTime != nil)
    }

    @Test(arguments: [
        ("wants you", "localhost:3000 want you to sign in with your Ethereum account:"),
        ("lower-case address", "0xe3d5f34021cc2d1dbd160d4f7fd75ed0c6200993"),
        ("version 2", "Version: 2"), ("short nonce", "Nonce: abc123"), ("bad chain", "Chain ID: 0x1"),
        ("bad date", "Issued At: yesterday"), ("bad URI", "URI: not a uri"),
        // Found by the fuzz target: ICU's date parser divided by zero on this fraction (SIGFPE).
        ("exponent in the fraction", "Issued At: 2025-01-01T00:00:00.0e" + String(repeating: "7", count: 80) + "xaZ"),
        ("fraction of ten digits", "Issued At: 2025-01-01T00:00:00.0123456789Z"),
    ])
    func refusesMalformedMessages(_ name: String, _ replacement: String) {
        var lines = Self.message(Self.vectors[0].0, 0).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let prefix = replacement.split(separator: ":").first.map(String.init) ?? ""
        if let index = lines.firstIndex(where: { $0.hasPrefix(prefix) }) { lines[index] = replacement } else if name == "wants you" { lines[0] = replacement } else { lines[1] = replacement }
        #expect(throws: SIWEMessage.ParseError.self) { try SIWEMessage(parsing: lines.joined(separator: "\n")) }
        #expect(throws: SIWEMessage.ParseError.self) { try SIWEMessage(parsing: Self.message(Self.vectors[0].0, 0) + "\n") }
        #expect(throws: SIWEMessage.ParseError.self) { try SIWEMessage(parsing: Self.message(Self.vectors[0].0, 0).replacingOccurrences(of: "\n", with: "\r\n")) }
    }
}
