/// A 20-byte Ethereum account address: the last 20 bytes of Keccak-256 of the uncompressed
/// public key (without its 0x04 prefix), written with the EIP-55 mixed-case checksum.
public struct EthereumAddress: Sendable, Equatable {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 20 else { return nil }
        self.bytes = bytes
    }

    /// Parses `0x` + 40 hex digits. All-lower or all-upper hex is accepted as unchecksummed;
    /// mixed case must be a correct EIP-55 checksum (`strict` demands the checksum always).
    public init?(_ text: String, strict: Bool = false) {
        guard text.hasPrefix("0x"), text.utf8.count == 42, let bytes = Hex.decode(String(text.dropFirst(2))) else { return nil }
        self.bytes = bytes
        let digits = text.dropFirst(2)
        let unchecksummed = digits == digits.lowercased() || digits == digits.uppercased()
        guard (unchecksummed && !strict) || checksummed == text else { return nil }
    }

    public init(publicKey: [UInt8]) {
        bytes = Array(Keccak256.hash(Array(publicKey.dropFirst(publicKey.count == 65 ? 1 : 0))).suffix(20))
    }

    /// The EIP-55 form: a hex letter is upper case when the matching nibble of
    /// Keccak-256(lower-case hex) is 8 or more.
    public var checksummed: String {
        let lower = Hex.encode(bytes)
        let hash = Keccak256.hash(Array(lower.utf8))
        var out = "0x"
        for (index, character) in lower.enumerated() {
            let nibble = index % 2 == 0 ? hash[index / 2] >> 4 : hash[index / 2] & 0x0f
            out.append(character.isLetter && nibble >= 8 ? Character(character.uppercased()) : character)
        }
        return out
    }
}

enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        for index in stride(from: 0, to: chars.count, by: 2) {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
