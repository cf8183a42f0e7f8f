import NetworkAddress
import Testing

/// The SSRF guard's classifier against the IANA special-purpose registries (RFC 6890 and its
/// updates), in both families and through the IPv6 forms that carry an IPv4 address.
@Suite struct AddressScopeTests {
    @Test(arguments: [
        ("0.0.0.0", AddressScope.unspecified), ("0.1.2.3", .unspecified),
        ("127.0.0.1", .loopback), ("127.255.255.254", .loopback),
        ("10.0.0.1", .private), ("172.16.0.1", .private), ("172.31.255.255", .private), ("192.168.1.1", .private),
        ("100.64.0.1", .sharedAddressSpace), ("100.127.255.255", .sharedAddressSpace),
        ("169.254.169.254", .linkLocal),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast),
        ("255.255.255.255", .reserved), ("240.0.0.1", .reserved), ("192.0.2.10", .reserved), ("198.18.0.1", .reserved),
        ("192.88.99.1", .reserved),
        ("8.8.8.8", .global), ("1.1.1.1", .global), ("172.15.255.255", .global), ("172.32.0.1", .global),
        ("100.63.255.255", .global), ("100.128.0.1", .global), ("169.253.0.1", .global), ("192.169.0.1", .global),
    ])
    func ipv4(_ address: String, _ scope: AddressScope) {
        #expect(AddressScope(address: address) == scope)
    }

    @Test(arguments: [
        ("::", AddressScope.unspecified), ("::1", .loopback),
        ("fe80::1", .linkLocal), ("febf::1", .linkLocal),
        ("fc00::1", .private), ("fd12:3456::1", .private), ("fec0::1", .private),
        ("ff02::1", .multicast), ("ff05::2", .multicast),
        ("2001:db8::1", .reserved), ("100::1", .reserved), ("2001::1", .reserved), ("2001:2::1", .reserved),
        ("2001:20::1", .reserved), ("2001:1ff::1", .reserved), ("3fff::1", .reserved), ("3fff:fff::1", .reserved), ("3fff:1000::1", .global), ("5f00::1", .reserved),
        ("2001:4860:4860::8888", .global), ("2606:4700:4700::1111", .global), ("fe00::1", .global), ("2001:200::1", .global),
        ("3ffe::1", .global), ("5f01::1", .global),
    ])
    func ipv6(_ address: String, _ scope: AddressScope) {
        #expect(AddressScope(address: address) == scope)
    }

    @Test(arguments: [
        ("::ffff:127.0.0.1", AddressScope.loopback), ("::ffff:7f00:1", .loopback), ("::ffff:10.1.2.3", .private),
        ("::ffff:169.254.169.254", .linkLocal), ("::ffff:8.8.8.8", .global),
        ("::127.0.0.1", .loopback), ("::192.168.0.1", .private),            // IPv4-compatible
        ("::ffff:0:127.0.0.1", .loopback), ("::ffff:0:8.8.8.8", .global),  // SIIT
        ("64:ff9b::127.0.0.1", .loopback), ("64:ff9b::8.8.8.8", .global),    // NAT64
        ("64:ff9b:1::1", .private),
        ("2002:7f00:1::1", .loopback), ("2002:0808:0808::1", .global),        // 6to4
    ])
    func ipv6CarryingIPv4(_ address: String, _ scope: AddressScope) {
        #expect(AddressScope(address: address) == scope)
    }

    @Test(arguments: ["localhost", "", "1.2.3", "256.1.1.1", "[::1]", "fe80::1%eth0", "::ffff:1.2.3.4.5"])
    func notAnAddress(_ text: String) {
        #expect(AddressScope(address: text) == nil)
    }

    @Test(arguments: [("localhost", true), ("api.localhost", true), ("LOCALHOST", true), ("127.0.0.1", true), ("[::1]", true),
                      ("10.1.2.3", true), ("[fe80::1]", true), ("example.com", false), ("8.8.8.8", false), ("[2606:4700::1111]", false),
                      ("localhost.example.com", false)])
    func urlHostsThatNamePrivateHosts(_ host: String, _ isPrivate: Bool) {
        #expect(AddressScope.namesPrivateHost(host) == isPrivate)
    }

    @Test func onlyGlobalIsGlobal() {
        #expect(AddressScope.allCases.filter(\.isGlobal) == [.global])
    }
}
