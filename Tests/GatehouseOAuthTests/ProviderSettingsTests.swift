import Crypto
import Foundation
import GatehouseCrypto
import GatehouseJSON
@testable import GatehouseOAuth
import Testing

@Suite struct ProviderSettingsTests {
    func invalid(_ id: String, _ settings: JSONValue) -> ProviderSettings.Invalid? {
        do { _ = try ProviderSettings.provider(id: id, settings); return nil } catch { return error }
    }

    @Test func builtInProvidersKeepTheirCatalogueEntry() throws {
        let google = try ProviderSettings.provider(id: "google", ["clientId": "c", "clientSecret": "s", "scopes": ["calendar"]])
        #expect(google.tokenEndpoint == "https://oauth2.googleapis.com/token")
        #expect(google.scopes == ["email", "profile", "openid", "calendar"] && google.isOpenID)
        #expect(google.accountIssuer == "https://accounts.google.com")
        let github = try ProviderSettings.provider(id: "github", ["clientId": "c", "userInfoEndpoint": "http://127.0.0.1:9/user"])
        #expect(github.userInfoEndpoint == "http://127.0.0.1:9/user" && github.issuerForAccounts == "local:oauth:github")
        let microsoft = try ProviderSettings.provider(id: "microsoft", ["clientId": "c", "tenantId": "contoso"])
        #expect(microsoft.authorizationEndpoint == "https://login.microsoftonline.com/contoso/oauth2/v2.0/authorize")
        #expect(microsoft.idTokenIssuers == ["https://login.microsoftonline.com/contoso/v2.0"])
        #expect(try ProviderSettings.provider(id: "twitter", ["clientId": "c"]).clientAuthentication == .basic)
    }

    @Test func discoveryReplacesTheCatalogueButExplicitKeysWin() throws {
        let p = try ProviderSettings.provider(id: "google", ["clientId": "c", "discoveryUrl": "https://idp.example/.well-known/openid-configuration",
                                                             "tokenEndpoint": "https://idp.example/custom-token"])
        #expect(p.authorizationEndpoint == nil && p.tokenEndpoint == "https://idp.example/custom-token" && p.accountIssuer == nil)
    }

    @Test func badSettingsNameTheKey() {
        #expect(invalid("myidp", ["clientId": "c"])?.key == nil)
        #expect(invalid("github", ["clientSecret": "s"])?.key == "clientId")
        #expect(invalid("github", ["clientId": "c", "colour": "blue"])?.key == "colour")
        #expect(invalid("github", ["clientId": "c", "pkce": "yes"])?.key == "pkce")
        #expect(invalid("corp", ["clientId": "c", "discoveryUrl": "ftp://x"])?.key == "discoveryUrl")
        #expect(invalid("Bad Id", ["clientId": "c"]) != nil)
        #expect(invalid("apple", ["clientId": "c", "privateKey": "x", "teamId": "T", "keyId": "K"])?.key == "privateKey")
    }

    @Test func authorizationURLCarriesTheFlowAndRefusesOverrides() throws {
        let p = try ProviderSettings.provider(id: "corp", ["clientId": "client one", "authorizationEndpoint": "https://idp.example/auth?tenant=1",
                                                           "tokenEndpoint": "https://idp.example/token", "scopes": ["read"]])
        var request = AuthorizationRequest(state: "st", codeVerifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", redirectURI: "https://app.example/cb")
        request.additionalParameters = [("state", "evil"), ("audience", "api")]
        let url = try p.authorizationURL(request)
        #expect(url.hasPrefix("https://idp.example/auth?tenant=1&response_type=code&client_id=client%20one&state=st&"))
        #expect(url.contains("code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"))
        #expect(url.contains("audience=api") && !url.contains("evil") && url.contains("scope=read"))
    }

    /// Apple's client secret is an ES256 JWT its public key verifies.
    @Test func appleClientSecretIsSignedWithTheTeamKey() async throws {
        let key = P256.Signing.PrivateKey()
        let secret = try AppleClientSecret(teamID: "TEAM123456", keyID: "KEY1234567", privateKeyPEM: key.pemRepresentation)
        let jwt = try await secret.make(clientID: "com.example.web", now: Date(timeIntervalSince1970: 1_800_000_000))
        let parts = jwt.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        let header = try JSONValue.parse(Base64.decode(parts[0]) ?? [])
        let claims = try JSONValue.parse(Base64.decode(parts[1]) ?? [])
        #expect(header["alg"] == "ES256" && header["kid"] == "KEY1234567")
        #expect(claims["iss"] == "TEAM123456" && claims["sub"] == "com.example.web" && claims["aud"] == "https://appleid.apple.com")
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: Base64.decode(parts[2]) ?? [])
        #expect(key.publicKey.isValidSignature(signature, for: Array((parts[0] + "." + parts[1]).utf8)))
    }

    @Test func tokenResponsesBecomeDates() {
        let now = Date(timeIntervalSince1970: 1000)
        let tokens = OAuthTokens(response: ["access_token": "a", "expires_in": 3600, "refresh_token": "r", "scope": "openid email"], now: now)
        #expect(tokens.accessToken == "a" && tokens.refreshToken == "r" && tokens.scopes == ["openid", "email"])
        #expect(tokens.accessTokenExpiresAt == Date(timeIntervalSince1970: 4600))
    }
}
