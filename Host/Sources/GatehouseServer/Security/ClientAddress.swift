import Foundation

/// The client's IP for rate limiting and session rows: the first configured proxy header
/// that holds a valid address, else the socket peer. IPv6 addresses are cut to their /64.
enum ClientAddress {
    static func resolve(headerValues: [String?], peer: String?) -> String? {
        for value in headerValues {
            guard let first = value?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces) else { continue }
            if let ip = normalize(first) { return ip }
        }
        return peer.flatMap(normalize)
    }

    static func normalize(_ text: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return text }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        // An IPv4-mapped address (::ffff:a.b.c.d) is really that IPv4 address.
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}
