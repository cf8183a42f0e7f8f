#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`) or a single address
/// (`192.0.2.7`, `::1`): the trusted proxies a forwarded client address is taken from.
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are their IPv4 address, on both sides.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    /// Network byte order, 4 or 16 bytes, host bits zero.
    public let bytes: [UInt8]
    public let prefixLength: Int

    /// Nil for anything but an address with an optional `/prefix` within its family's length.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPNetwork.bytes(of: String(parts[0])) else { return nil }
        let bits = address.count * 8
        var length = bits
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...bits).contains(given), parts[1].allSatisfy(\.isASCII) else { return nil }
            length = given
        }
        prefixLength = length
        bytes = IPNetwork.masked(address, to: length)
    }

    public func contains(_ address: String) -> Bool {
        guard let candidate = IPNetwork.bytes(of: address), candidate.count == bytes.count else { return false }
        return IPNetwork.masked(candidate, to: prefixLength) == bytes
    }

    public var description: String { "\(IPNetwork.text(of: bytes) ?? "?")/\(prefixLength)" }

    /// The bytes of a textual IPv4 or IPv6 address (no brackets, no zone); a mapped IPv4 as 4 bytes.
    public static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12..<16]) }
        return bytes
    }

    /// The canonical text of 4 or 16 address bytes (RFC 5952 for IPv6, as `inet_ntop` writes it).
    public static func text(of bytes: [UInt8]) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(bytes.count == 4 ? AF_INET : AF_INET6, raw.baseAddress, &buffer, socklen_t(buffer.count))
        }
        guard bytes.count == 4 || bytes.count == 16, written != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `bytes` with every bit after the first `length` cleared.
    public static func masked(_ bytes: [UInt8], to length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let kept = min(max(length - index * 8, 0), 8)
            return kept == 8 ? byte : byte & ~(0xFF >> UInt8(kept))
        }
    }
}
