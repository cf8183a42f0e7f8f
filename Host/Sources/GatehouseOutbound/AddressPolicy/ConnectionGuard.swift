import CCurlShim
import NetworkAddress
#if canImport(Glibc)
import Glibc
#endif

/// Decides, socket by socket, which addresses one transfer may connect to: libcurl hands it
/// every address it is about to try (each of a name's addresses, after its own resolution), so
/// what is checked is exactly what is connected to, and a name that resolves differently a
/// moment later (DNS rebinding) gains nothing. Outside `allowPrivateNetworks`, only `global`
/// addresses pass. Used on the transfer's thread only.
public final class ConnectionGuard {
    public let allowPrivateNetworks: Bool
    /// The first address refused, with its scope, for the error message.
    public private(set) var refused: (address: String, scope: AddressScope)?
    /// Whether any address passed (a failure after that is the network's, not the guard's).
    public private(set) var admittedAny = false

    public init(allowPrivateNetworks: Bool) {
        self.allowPrivateNetworks = allowPrivateNetworks
    }

    /// Why the transfer could not connect, if the guard is the reason: every address it was
    /// offered was refused.
    public var refusal: String? {
        guard let refused, !admittedAny else { return nil }
        return "\(refused.address) is a \(refused.scope.rawValue) address; set allowPrivateNetworks to reach it"
    }

    /// libcurl's open-socket callback: a socket for an admitted address, CURL_SOCKET_BAD otherwise.
    func open(_ address: UnsafeMutablePointer<curl_sockaddr>) -> curl_socket_t {
        let family = address.pointee.family
        let raw = UnsafeMutableRawPointer(address) + MemoryLayout<curl_sockaddr>.offset(of: \curl_sockaddr.addr)!
        let parsed: (text: String, scope: AddressScope)?
        switch family {
        case AF_INET:
            var ip = raw.load(as: sockaddr_in.self).sin_addr
            parsed = withUnsafeBytes(of: &ip) { (Self.text(AF_INET, $0), AddressScope(ipv4: Array($0))) }
        case AF_INET6:
            var ip = raw.load(as: sockaddr_in6.self).sin6_addr
            parsed = withUnsafeBytes(of: &ip) { (Self.text(AF_INET6, $0), AddressScope(ipv6: Array($0))) }
        default:
            parsed = nil
        }
        guard let parsed else { return ccurl_socket_bad() }
        guard allowPrivateNetworks || parsed.scope.isGlobal else {
            if refused == nil { refused = (parsed.text, parsed.scope) }
            return ccurl_socket_bad()
        }
        admittedAny = true
        return socket(family, address.pointee.socktype | Int32(SOCK_CLOEXEC.rawValue), address.pointee.protocol)
    }

    private static func text(_ family: Int32, _ bytes: UnsafeRawBufferPointer) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, bytes.baseAddress, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
