#if canImport(Glibc)
import Glibc
#endif

/// Where an IP address leads, as an SSRF guard sees it: the public internet (`global`), or one
/// of the ranges a server-side request must not reach unless private networks are allowed.
public enum AddressScope: String, Sendable, CaseIterable {
    case global
    case loopback
    /// RFC 1918 (10/8, 172.16/12, 192.168/16), IPv6 unique-local (fc00::/7) and the deprecated
    /// site-local (fec0::/10).
    case `private` = "private"
    case linkLocal = "link-local"
    /// RFC 6598's 100.64/10, carrier-grade NAT.
    case sharedAddressSpace = "shared address space (CGNAT)"
    case unspecified
    case multicast
    /// Documentation, benchmarking, broadcast and other special-purpose ranges (IANA registries)
    /// that never name a public server.
    case reserved

    public var isGlobal: Bool { self == .global }

    /// The scope of a textual IPv4 or IPv6 address (no brackets, no zone); nil if it is neither.
    public init?(address text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = withUnsafeBytes(of: &v4) { Self(ipv4: Array($0)) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            self = withUnsafeBytes(of: &v6) { Self(ipv6: Array($0)) }
        } else {
            return nil
        }
    }

    /// Whether a URL's host names loopback or a private range outright: `localhost` (and
    /// `*.localhost`), or an IP literal (`[…]` for IPv6) that is not global. A name that only
    /// resolves to such an address is found when a connection is made (`ConnectionGuard`).
    public static func namesPrivateHost(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        return AddressScope(address: name).map { !$0.isGlobal } ?? false
    }

    /// The scope of an IPv4 address in network byte order (4 bytes).
    public init(ipv4 a: [UInt8]) {
        precondition(a.count == 4, "an IPv4 address has 4 bytes")
        switch (a[0], a[1], a[2]) {
        case (0, _, _): self = .unspecified                        // 0/8, "this network"
        case (127, _, _): self = .loopback
        case (10, _, _), (172, 16...31, _), (192, 168, _): self = .private
        case (100, 64...127, _): self = .sharedAddressSpace
        case (169, 254, _): self = .linkLocal
        case (224...239, _, _): self = .multicast
        case (240...255, _, _),                                      // future use and broadcast
             (192, 0, 0), (192, 0, 2), (198, 51, 100), (203, 0, 113), // protocol assignments, documentation
             (192, 88, 99),                                          // the retired 6to4 relay anycast
             (198, 18...19, _):                                      // benchmarking
            self = .reserved
        default: self = .global
        }
    }

    /// The scope of an IPv6 address in network byte order (16 bytes). Addresses that carry an
    /// IPv4 address (mapped, compatible, NAT64, 6to4) take the scope of that address.
    public init(ipv6 a: [UInt8]) {
        precondition(a.count == 16, "an IPv6 address has 16 bytes")
        let zeroPrefix = a[0..<10].allSatisfy { $0 == 0 }
        if zeroPrefix, a[10] == 0xFF, a[11] == 0xFF {                  // ::ffff:a.b.c.d, IPv4-mapped
            self = Self(ipv4: Array(a[12..<16]))
        } else if a[0..<8].allSatisfy({ $0 == 0 }), a[8] == 0xFF, a[9] == 0xFF, a[10] == 0, a[11] == 0 {  // ::ffff:0:a.b.c.d, SIIT
            self = Self(ipv4: Array(a[12..<16]))
        } else if zeroPrefix, a[10] == 0, a[11] == 0 {
            switch a[12..<16].reduce(UInt32(0), { $0 << 8 | UInt32($1) }) {
            case 0: self = .unspecified                                // ::
            case 1: self = .loopback                                   // ::1
            default: self = Self(ipv4: Array(a[12..<16]))               // ::a.b.c.d, IPv4-compatible
            }
        } else if a[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] {   // 64:ff9b::/96, NAT64
            self = Self(ipv4: Array(a[12..<16]))
        } else if a[0] == 0x00, a[1] == 0x64, a[2] == 0xFF, a[3] == 0x9B, a[4] == 0, a[5] == 1 {  // 64:ff9b:1::/48
            self = .private
        } else if a[0] == 0x20, a[1] == 0x02 {                          // 2002::/16, 6to4
            self = Self(ipv4: Array(a[2..<6]))
        } else if a[0] == 0xFF {
            self = .multicast
        } else if a[0] & 0xFE == 0xFC || (a[0] == 0xFE && a[1] & 0xC0 == 0xC0) {  // fc00::/7, fec0::/10
            self = .private
        } else if a[0] == 0xFE, a[1] & 0xC0 == 0x80 {                   // fe80::/10
            self = .linkLocal
        } else if (a[0] == 0x20 && a[1] == 0x01 && a[2] & 0xFE == 0)      // 2001::/23, IETF protocol assignments (Teredo, ORCHID, benchmarking)
            || (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0D && a[3] == 0xB8)  // 2001:db8::/32, documentation
            || (a[0] == 0x3F && a[1] == 0xFF && a[2] & 0xF0 == 0)        // 3fff::/20, documentation
            || (a[0] == 0x5F && a[1] == 0x00)                            // 5f00::/16, SRv6 segment identifiers
            || (a[0] == 0x01 && a[1..<8].allSatisfy { $0 == 0 }) {      // 100::/64, discard-only
            self = .reserved
        } else {
            self = .global
        }
    }
}
