import Crypto
import Foundation
@testable import OneTimePassword
import Testing

/// Published vectors: RFC 4226 Appendix D (HOTP), RFC 6238 Appendix B (TOTP, SHA-1 rows) and
/// RFC 4648 §10 (base32).
@Suite struct OneTimePasswordTests {
    static let rfcKey = Array("12345678901234567890".utf8)
    static let sha1: OneTimePassword.HMAC = { key, message in
        Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    @Test func hotpMatchesRFC4226() {
        let otp = OneTimePassword(key: Self.rfcKey, digits: 6, hmac: Self.sha1)
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
        #expect((0..<10).map { otp.hotp(counter: UInt64($0)) } == expected)
    }

    @Test(arguments: [
        (59.0, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
    ])
    func totpMatchesRFC6238(time: Double, code: String) {
        let otp = OneTimePassword(key: Self.rfcKey, digits: 8, period: 30, hmac: Self.sha1)
        #expect(otp.totp(at: Date(timeIntervalSince1970: time)) == code)
    }

    @Test func acceptsOneStepOfDriftEitherSideAndNoMore() {
        let otp = OneTimePassword(key: Self.rfcKey, digits: 8, hmac: Self.sha1)
        let at = Date(timeIntervalSince1970: 1_111_111_109)  // step 37037036
        let code = otp.totp(at: at)
        #expect(otp.matchingStep(of: code, at: at) == 37_037_036)
        #expect(otp.matchingStep(of: code, at: at.addingTimeInterval(30)) == 37_037_036)
        #expect(otp.matchingStep(of: code, at: at.addingTimeInterval(-30)) == 37_037_036)
        #expect(otp.matchingStep(of: code, at: at.addingTimeInterval(60)) == nil)
        #expect(otp.matchingStep(of: code, at: at.addingTimeInterval(-60)) == nil)
    }

    @Test func refusesMalformedCodes() {
        let otp = OneTimePassword(key: Self.rfcKey, digits: 6, hmac: Self.sha1)
        let at = Date(timeIntervalSince1970: 59)
        let code = otp.totp(at: at)
        for bad in ["", String(code.dropLast()), code + "0", "12345a", " " + code.dropFirst(), "１２３４５６"] {
            #expect(otp.matchingStep(of: bad, at: at) == nil)
        }
    }

    @Test func base32MatchesRFC4648() {
        let vectors = ["": "", "f": "MY======", "fo": "MZXQ====", "foo": "MZXW6===", "foob": "MZXW6YQ=",
                       "fooba": "MZXW6YTB", "foobar": "MZXW6YTBOI======"]
        for (text, encoded) in vectors {
            #expect(Base32.encode(Array(text.utf8), padding: true) == encoded)
            #expect(Base32.encode(Array(text.utf8)) == encoded.replacingOccurrences(of: "=", with: ""))
        }
    }

    @Test func uriIsWhatBetterAuthAndAuthenticatorAppsUse() {
        let uri = OTPAuthURI.totp(secret: Array("12345678901234567890".utf8), issuer: "My App", account: "ada+2fa@example.com", digits: 6, period: 30)
        #expect(uri == "otpauth://totp/My%20App:ada%2B2fa%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=My%20App&digits=6&period=30")
    }
}
