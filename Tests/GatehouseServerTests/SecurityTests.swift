@testable import GatehouseServer
import NetworkAddress
import Testing

@Suite struct TrustedOriginsTests {
    let origins = TrustedOrigins(baseURL: "https://trusted.com", configured: ["https://*.example.com", "myapp://"],
                                 includeLoopback: false, port: 3000)

    @Test(arguments: ["/dashboard", "/a?b=c", "https://trusted.com/x", "https://app.example.com/cb", "HTTPS://TRUSTED.COM",
                      "myapp://auth", "myapp://auth/callback?x=1"])
    func allowedRedirects(_ url: String) {
        #expect(origins.isAllowedRedirect(url))
    }

    @Test(arguments: [
        "//evil.com", "https://trusted.com.evil.com", "https://trusted.com@evil.com", "javascript:alert(1)",
        "/\\evil.com", "https://evil.com", "http://trusted.com", "https://example.com.evil.io", "data:text/html,hi",
        "otherapp://auth", "myappx://auth",
    ])
    func rejectedRedirects(_ url: String) {
        #expect(!origins.isAllowedRedirect(url))
    }

    /// A host-less pattern trusts an app scheme, whatever its case, never the web or script schemes.
    @Test func hostlessSchemePatterns() {
        let origins = TrustedOrigins(baseURL: "https://trusted.com", configured: ["http://", "https://", "MYAPP://", "javascript://"],
                                     includeLoopback: false, port: 3000)
        #expect(origins.isAllowedRedirect("myapp://auth") && origins.isAllowedRedirect("MyApp://auth"))
        for url in ["http://evil.com", "https://evil.com", "javascript://x", "javascript://%0aalert(1)"] {
            #expect(!origins.isAllowedRedirect(url), "\(url)")
        }
        #expect(!origins.isTrusted(origin: "http://evil.com"))
    }

    @Test func originMatching() {
        #expect(origins.isTrusted(origin: "https://trusted.com"))
        #expect(origins.isTrusted(origin: "https://a.b.example.com"))
        #expect(!origins.isTrusted(origin: "https://example.com.attacker.net"))
        #expect(!origins.isTrusted(origin: "null"))
    }
}

@Suite struct RateLimitTests {
    @Test func fixedWindowArithmetic() {
        var (decision, count, last) = RateLimitDecision.step(count: 0, lastRequest: nil, window: 10, max: 2, now: 1000)
        #expect(decision == .allowed && count == 1 && last == 1000)
        (decision, count, last) = RateLimitDecision.step(count: count, lastRequest: last, window: 10, max: 2, now: 2000)
        #expect(decision == .allowed && count == 2)
        (decision, count, last) = RateLimitDecision.step(count: count, lastRequest: last, window: 10, max: 2, now: 3000)
        #expect(decision == .limited(retryAfter: 8))
        (decision, count, last) = RateLimitDecision.step(count: count, lastRequest: last, window: 10, max: 2, now: 11_000)
        #expect(decision == .allowed && count == 1)
    }

    @Test func rulePrecedence() {
        var config = GatehouseConfig.RateLimit()
        config.customRules = [("/ok", nil), ("/custom/*", (60, 7))]
        let limiter = RateLimiter(store: MemoryRateLimitStore(), config: config,
                                  pluginRules: [RateLimitRule(PathPattern("/two-factor/**"), window: 10, max: 3)])
        #expect(limiter.rule(for: "/sign-in/email")! == (10, 3))
        #expect(limiter.rule(for: "/request-password-reset")! == (60, 3))
        #expect(limiter.rule(for: "/two-factor/verify-totp")! == (10, 3))
        #expect(limiter.rule(for: "/custom/x")! == (60, 7))
        #expect(limiter.rule(for: "/ok") == nil)
        #expect(limiter.rule(for: "/get-session")! == (10, 100))
    }
}

@Suite struct ClientAddressTests {
    @Test func anyoneIsBetterAuthsDefault() {
        #expect(ClientAddress.resolve(headerValues: ["203.0.113.9, 10.0.0.1"], peer: "127.0.0.1", trust: .anyone) == "203.0.113.9")
        #expect(ClientAddress.resolve(headerValues: ["not-an-ip"], peer: "127.0.0.1", trust: .anyone) == "127.0.0.1")
        #expect(ClientAddress.resolve(headerValues: [nil], peer: nil, trust: .anyone) == nil)
    }

    @Test func nobodyKeepsThePeer() {
        #expect(ClientAddress.resolve(headerValues: ["203.0.113.9"], peer: "198.51.100.4", trust: .nobody) == "198.51.100.4")
    }

    @Test func trustedProxiesYieldTheRightMostUntrustedHop() throws {
        let trust = ClientAddress.Trust.proxies([try #require(IPNetwork("10.0.0.0/8")), try #require(IPNetwork("2001:db8::/32"))])
        // The peer is ours: walk back past our own proxies; what the client wrote on the left is ignored.
        #expect(ClientAddress.resolve(headerValues: ["1.1.1.1, 203.0.113.9, 10.0.0.2"], peer: "10.0.0.1", trust: trust) == "203.0.113.9")
        #expect(ClientAddress.resolve(headerValues: ["2001:DB8::7, 2001:db8::8"], peer: "10.0.0.1", trust: trust) == "2001:db8::7")
        #expect(ClientAddress.resolve(headerValues: ["garbage, 10.0.0.3"], peer: "10.0.0.1", trust: trust) == "10.0.0.3")
        #expect(ClientAddress.resolve(headerValues: [nil, "203.0.113.9"], peer: "10.0.0.1", trust: trust) == "203.0.113.9")
        #expect(ClientAddress.resolve(headerValues: [nil], peer: "10.0.0.1", trust: trust) == "10.0.0.1")
        // Anyone else's header means nothing.
        #expect(ClientAddress.resolve(headerValues: ["10.0.0.5"], peer: "198.51.100.4", trust: trust) == "198.51.100.4")
    }

    @Test func addressesAreCanonicalAndIPv6BucketsAreNetworks() {
        #expect(ClientAddress.normalize("2001:DB8:0:0:1:0:0:1") == "2001:db8::1:0:0:1")
        #expect(ClientAddress.normalize("::ffff:192.0.2.1") == "192.0.2.1")
        #expect(ClientAddress.rateLimitKey("2001:db8:1:2:3:4:5:6", ipv6Subnet: 64) == "2001:db8:1:2::/64")
        #expect(ClientAddress.rateLimitKey("2001:db8:1:2:3:4:5:6", ipv6Subnet: 48) == "2001:db8:1::/48")
        #expect(ClientAddress.rateLimitKey("192.0.2.1", ipv6Subnet: 64) == "192.0.2.1")
    }
}
