import NetworkAddress
import Testing

@Suite struct IPNetworkTests {
    @Test func parsesNetworksAndSingleAddresses() throws {
        #expect(IPNetwork("10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(IPNetwork("192.0.2.7")?.description == "192.0.2.7/32")
        #expect(IPNetwork("2001:db8:ffff::1/32")?.description == "2001:db8::/32")
        #expect(IPNetwork("::1")?.description == "::1/128")
        #expect(IPNetwork("::ffff:192.0.2.1/24")?.description == "192.0.2.0/24")
        for bad in ["", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "::/129", "example.com", "10.0.0.0/8/8", "10.0.0.0/٣", "[::1]"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
    }

    @Test func containsAddressesOfItsOwnFamily() throws {
        let v4 = try #require(IPNetwork("172.16.0.0/12"))
        #expect(v4.contains("172.31.255.255") && v4.contains("::ffff:172.16.0.1"))
        #expect(!v4.contains("172.32.0.0") && !v4.contains("::1") && !v4.contains("nonsense"))
        let v6 = try #require(IPNetwork("2001:db8::/33"))
        #expect(v6.contains("2001:db8:7fff::1") && !v6.contains("2001:db8:8000::1") && !v6.contains("10.0.0.1"))
        #expect(IPNetwork("0.0.0.0/0")?.contains("203.0.113.9") == true)
    }

    @Test func masksToAnyPrefix() {
        #expect(IPNetwork.masked([0xFF, 0xFF, 0xFF, 0xFF], to: 20) == [0xFF, 0xFF, 0xF0, 0x00])
        #expect(IPNetwork.text(of: IPNetwork.masked(IPNetwork.bytes(of: "2001:db8:1:2:3:4:5:6")!, to: 64)) == "2001:db8:1:2::")
    }
}
