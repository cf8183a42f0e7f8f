import GatehouseCrypto
import Testing

@Suite struct CookieSignerTests {
    let signer = CookieSigner(secret: "better-auth-secret-12345678901234567890")

    @Test func matchesTheBetterAuthVector() {
        #expect(signer.sign("abcdefghijklmnopqrstuvwxyz012345")
            == "abcdefghijklmnopqrstuvwxyz012345.I9CRtBzOYKOp91pmsrUITzor0IvV8qog4R1ydDphbLY%3D")
    }

    @Test func verifiesEncodedAndDecodedForms() {
        let wire = "abcdefghijklmnopqrstuvwxyz012345.I9CRtBzOYKOp91pmsrUITzor0IvV8qog4R1ydDphbLY%3D"
        #expect(signer.verify(wire) == "abcdefghijklmnopqrstuvwxyz012345")
        #expect(signer.verify(wire.replacingOccurrences(of: "%3D", with: "=")) == "abcdefghijklmnopqrstuvwxyz012345")
    }

    @Test(arguments: [
        "abcdefghijklmnopqrstuvwxyz012345.I9CRtBzOYKOp91pmsrUITzor0IvV8qog4R1ydDphbLZ%3D",  // one bit off
        "abcdefghijklmnopqrstuvwxyz012345.I9CRtBzOYKOp91pmsrUITzor0IvV8qog4R1ydDphb",  // truncated
        "abcdefghijklmnopqrstuvwxyz012345",  // unsigned
        ".I9CRtBzOYKOp91pmsrUITzor0IvV8qog4R1ydDphbLY%3D",  // no value
        "abcdefghijklmnopqrstuvwxyz012346.I9CRtBzOYKOp91pmsrUITzor0IvV8qog4R1ydDphbLY%3D",  // other value
        "%%%garbage",
    ])
    func rejectsForgedOrMalformedValues(_ value: String) {
        #expect(signer.verify(value) == nil)
    }

    @Test func otherSecretDoesNotVerify() {
        let other = CookieSigner(secret: "another-secret-another-secret-another")
        #expect(other.verify(signer.sign("token")) == nil)
        #expect(signer.verify(signer.sign("token")) == "token")
    }
}
