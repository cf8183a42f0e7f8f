import NetworkAddress

/// The client's address, for rate limits, session rows, events and logs: from a forwarded header
/// only when that header can be believed, else the socket peer.
enum ClientAddress {
    /// Whose forwarded headers (`advanced.ipAddress.ipAddressHeaders`) are believed.
    enum Trust: Sendable {
        /// Better Auth's default, kept in development without `trustedProxies`: anyone's; the
        /// first valid address of the first header that has one.
        case anyone
        /// Production without `trustedProxies`: nobody's, so no client picks its own address.
        case nobody
        /// Only these proxies': a header counts when the peer is one of them, and the client is
        /// the right-most address in it that is not itself a trusted proxy.
        case proxies([IPNetwork])

        init(_ config: GatehouseConfig) {
            if let proxies = config.advanced.trustedProxies {
                self = .proxies(proxies)
            } else {
                self = config.isProduction ? .nobody : .anyone
            }
        }
    }

    static func resolve(headerValues: [String?], peer: String?, trust: Trust) -> String? {
        let peerAddress = peer.flatMap(normalize)
        switch trust {
        case .nobody:
            return peerAddress
        case .anyone:
            for value in headerValues {
                guard let first = value?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces) else { continue }
                if let address = normalize(first) { return address }
            }
            return peerAddress
        case .proxies(let proxies):
            let trusted = { (address: String) in proxies.contains { $0.contains(address) } }
            guard let peerAddress, trusted(peerAddress) else { return peerAddress }
            for value in headerValues {
                guard let value else { continue }
                // Each proxy appends the address it received from: walk back from ours. What lies
                // left of the first untrusted hop was written by the client and means nothing.
                var nearest: String?
                for hop in value.split(separator: ",").reversed() {
                    guard let address = normalize(hop.trimmingCharacters(in: .whitespaces)) else { break }
                    if !trusted(address) { return address }
                    nearest = address
                }
                if let nearest { return nearest }
            }
            return peerAddress
        }
    }

    /// The canonical text of an IPv4 or IPv6 address (an IPv4-mapped one as IPv4); nil otherwise.
    static func normalize(_ text: String) -> String? {
        IPNetwork.bytes(of: text).flatMap(IPNetwork.text(of:))
    }

    /// The rate-limit bucket of an address: itself for IPv4, its network of `ipv6Subnet` bits for
    /// IPv6 (one client usually holds a whole /64).
    static func rateLimitKey(_ address: String, ipv6Subnet: Int) -> String {
        guard let bytes = IPNetwork.bytes(of: address), bytes.count == 16,
              let network = IPNetwork.text(of: IPNetwork.masked(bytes, to: ipv6Subnet))
        else { return address }
        return "\(network)/\(ipv6Subnet)"
    }
}
