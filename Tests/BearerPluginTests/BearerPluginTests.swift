import GatehouseJSON
import PluginKitTesting
import Testing

/// The bearer plugin's hooks on PluginKitTesting's fake host, through the C descriptor of the
/// library `swift build` made (`libbearer.so`), as the server loads it. (A test target cannot
/// link a second plugin target: every plugin defines the entry symbol, and all test targets
/// share one test binary.)
struct BearerPluginTests {
    static func bearer(_ settings: JSONValue = [:], secure: Bool = false) throws -> FakeHost {
        try FakeHost(library: FakeHost.builtLibrary("bearer"), settings: settings) { $0.secureCookies = secure }
    }

    /// The before-hook with the request headers the manifest asks for.
    static func before(_ host: FakeHost, _ headers: JSONValue) throws -> FakeHost.Answer {
        try host.call(.beforeHook(0), envelope: ["headers": headers])
    }

    @Test func aSignedTokenBecomesTheSessionCookie() throws {
        let host = try Self.bearer()
        let signed = host.sign("session-token")
        let answer = try Self.before(host, ["authorization": .string("Bearer \(signed)"), "cookie": "theme=dark; better-auth.session_token=old"])
        #expect(answer.action == "proceed")
        #expect(answer["patch"]?["headers"]?["cookie"] == .string("theme=dark; better-auth.session_token=\(signed)"))
    }

    @Test func aForgedSignatureIsIgnored() throws {
        let host = try Self.bearer()
        let forged = try FakeHost(library: FakeHost.builtLibrary("bearer")) { $0.secret = "another-secret-another-secret-another" }.sign("session-token")
        let answer = try Self.before(host, ["authorization": .string("Bearer \(forged)")])
        #expect(answer.action == "proceed")
        #expect(answer["patch"] == nil)
    }

    @Test func aRawTokenIsSignedUnlessSignaturesAreRequired() throws {
        let host = try Self.bearer()
        #expect(try Self.before(host, ["authorization": "Bearer raw-token"])["patch"]?["headers"]?["cookie"]
            == .string("better-auth.session_token=\(host.sign("raw-token"))"))
        let strict = try Self.bearer(["requireSignature": true])
        #expect(try Self.before(strict, ["authorization": "Bearer raw-token"])["patch"] == nil)
    }

    @Test func anAnswerSettingTheSessionExposesItsToken() throws {
        let host = try Self.bearer(secure: true)
        let signed = host.sign("new-token")
        let cookie = "__Secure-better-auth.session_token=" + signed.replacingOccurrences(of: "=", with: "%3D") + "; Max-Age=604800; Path=/; HttpOnly"
        let answer = try host.call(.afterHook(0), envelope: ["response": ["status": 200, "headers": [:], "body": [:], "setCookies": [.string(cookie)]]])
        #expect(answer.action == "keep")
        #expect(answer.header("set-auth-token") == signed)
        #expect(answer.header("access-control-expose-headers") == "set-auth-token")
    }
}
