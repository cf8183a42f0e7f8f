import Foundation

public struct CBORError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "\(reason) at byte \(offset)" }
}

/// A strict decoder for the CBOR that WebAuthn uses (RFC 8949). It refuses what WebAuthn never
/// sends and an attacker might: indefinite lengths, reserved additional-information values,
/// duplicate map keys, text that is not UTF-8, nesting deeper than `maxDepth`, and lengths that
/// run past the end of the input.
public struct CBORDecoder {
    private let input: [UInt8]
    private var offset = 0
    private let maxDepth: Int

    private init(_ input: [UInt8], maxDepth: Int) {
        self.input = input
        self.maxDepth = maxDepth
    }

    /// Decodes exactly one item; bytes after it are an error.
    public static func decode(_ input: [UInt8], maxDepth: Int = 16) throws(CBORError) -> CBORValue {
        let (value, end) = try decodePrefix(input, maxDepth: maxDepth)
        guard end == input.count else { throw CBORError(offset: end, reason: "trailing bytes after the item") }
        return value
    }

    /// Decodes the first item and returns it with the number of bytes it took (a COSE key
    /// followed by extensions in authenticator data).
    public static func decodePrefix(_ input: [UInt8], maxDepth: Int = 16) throws(CBORError) -> (CBORValue, Int) {
        var decoder = CBORDecoder(input, maxDepth: maxDepth)
        let value = try decoder.item(depth: 0)
        return (value, decoder.offset)
    }

    private mutating func item(depth: Int) throws(CBORError) -> CBORValue {
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        let start = offset
        let initial = try byte()
        let major = initial >> 5
        let info = initial & 0x1f
        if major == 7 { return try simple(info, at: start) }
        let argument = try self.argument(info, at: start)
        switch major {
        case 0: return .unsigned(argument)
        case 1: return .negative(argument)
        case 2: return .bytes(try take(argument))
        case 3:
            guard let text = String(validating: try take(argument), as: UTF8.self) else { throw CBORError(offset: start, reason: "text is not UTF-8") }
            return .text(text)
        case 4:
            var items: [CBORValue] = []
            for _ in 0..<(try count(argument)) { items.append(try item(depth: depth + 1)) }
            return .array(items)
        case 5:
            var pairs: [(key: CBORValue, value: CBORValue)] = []
            for _ in 0..<(try count(argument)) {
                let keyOffset = offset
                let key = try item(depth: depth + 1)
                guard !pairs.contains(where: { $0.key == key }) else { throw CBORError(offset: keyOffset, reason: "duplicate map key") }
                pairs.append((key, try item(depth: depth + 1)))
            }
            return .map(pairs)
        default:
            return .tagged(argument, try item(depth: depth + 1))
        }
    }

    private mutating func argument(_ info: UInt8, at start: Int) throws(CBORError) -> UInt64 {
        switch info {
        case 0..<24: return UInt64(info)
        case 24: return try unsigned(1)
        case 25: return try unsigned(2)
        case 26: return try unsigned(4)
        case 27: return try unsigned(8)
        case 31: throw CBORError(offset: start, reason: "indefinite length")
        default: throw CBORError(offset: start, reason: "reserved additional information \(info)")
        }
    }

    private mutating func simple(_ info: UInt8, at start: Int) throws(CBORError) -> CBORValue {
        switch info {
        case 20: return .bool(false)
        case 21: return .bool(true)
        case 22: return .null
        case 23: return .undefined
        case 25: return .float(Double(Float16(bitPattern: UInt16(try unsigned(2)))))
        case 26: return .float(Double(Float(bitPattern: UInt32(try unsigned(4)))))
        case 27: return .float(Double(bitPattern: try unsigned(8)))
        case 31: throw CBORError(offset: start, reason: "indefinite length")
        default: throw CBORError(offset: start, reason: "unsupported simple value \(info)")
        }
    }

    /// An element count, bounded by the bytes left (each element takes at least one).
    private func count(_ argument: UInt64) throws(CBORError) -> Int {
        guard argument <= UInt64(input.count - offset) else { throw fail("length runs past the end") }
        return Int(argument)
    }

    private mutating func take(_ length: UInt64) throws(CBORError) -> [UInt8] {
        let count = try count(length)
        defer { offset += count }
        return Array(input[offset..<offset + count])
    }

    private mutating func byte() throws(CBORError) -> UInt8 {
        guard offset < input.count else { throw fail("unexpected end of input") }
        defer { offset += 1 }
        return input[offset]
    }

    private mutating func unsigned(_ width: Int) throws(CBORError) -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<width { value = value << 8 | UInt64(try byte()) }
        return value
    }

    private func fail(_ reason: String) -> CBORError { CBORError(offset: offset, reason: reason) }
}
