import Foundation
import GatehouseClient
import Testing

/// Social sign-in against a local OpenID provider (oidc-provider-mock): with an ID token, and
/// through a browser (a requests.Session with its own cookies) that ends at `myapp://auth`.
struct SocialTests {
    @Test func anIDTokenSignsIn() async throws {
        let peers = try await Peers.shared()
        let email = uniqueEmail("id-token")
        let sub = try await peers.providerUser(email: email)
        let nonce = UUID().uuidString
        let client = try await makeClient()
        let user = try await client.signIn(idToken: try await peers.idToken(sub: sub, nonce: nonce), provider: "mock", nonce: nonce)
        #expect(user.email == email)
        #expect(await client.state == .signedIn(user))
        #expect(try await client.getSession()?.user.id == user.id)

        // The nonce must match the token's.
        let other = try await makeClient()
        let refused = await #expect(throws: GatehouseError.self) {
            try await other.signIn(idToken: try await peers.idToken(sub: sub, nonce: nonce), provider: "mock", nonce: "another")
        }
        #expect(refused?.status == 401)
        #expect(await other.state == .signedOut)
    }

    @Test func theBrowserFlowEndsInTheAppWithASingleUseCode() async throws {
        let peers = try await Peers.shared()
        let email = uniqueEmail("browser")
        let sub = try await peers.providerUser(email: email)
        let client = try await makeClient()

        let url = await client.authorizationURL(provider: "mock", callbackURL: "myapp://auth")
        #expect(url.path.hasSuffix("/api/auth/sign-in/social/authorize"))
        let visit = try await peers.browse(url, sub: sub)
        #expect(visit.stateCookieSeen)
        let landing = try #require(URL(string: visit.location))
        #expect(landing.scheme == "myapp" && visit.location.contains("code="))

        let user = try await client.completeSignIn(from: landing)
        #expect(user.email == email)
        #expect(await client.state == .signedIn(user))
        #expect(try await client.getSession()?.user.id == user.id)

        // The code worked once: another client cannot use it again, even with a flow of its own.
        let thief = try await makeClient()
        _ = await thief.authorizationURL(provider: "mock", callbackURL: "myapp://auth")
        let replay = await #expect(throws: GatehouseError.self) { try await thief.completeSignIn(from: landing) }
        #expect(replay?.status == 401)
        #expect(await thief.state == .signedOut)
    }

    @Test func aCodeIsBoundToTheClientThatStartedTheFlow() async throws {
        let peers = try await Peers.shared()
        let sub = try await peers.providerUser(email: uniqueEmail("bound"))
        let victim = try await makeClient()
        let attacker = try await makeClient()
        let url = await attacker.authorizationURL(provider: "mock", callbackURL: "myapp://auth")
        let landing = try #require(URL(string: try await peers.browse(url, sub: sub).location))

        _ = await victim.authorizationURL(provider: "mock", callbackURL: "myapp://auth")
        await #expect(throws: GatehouseError.self) { try await victim.completeSignIn(from: landing) }
        #expect(await victim.state == .signedOut)
    }

    @Test func aDenialAtTheProviderComesBackAsAnError() async throws {
        let peers = try await Peers.shared()
        let sub = try await peers.providerUser(email: uniqueEmail("denied"))
        let client = try await makeClient()
        let url = await client.authorizationURL(provider: "mock", callbackURL: "myapp://auth")
        let landing = try #require(URL(string: try await peers.browse(url, sub: sub, deny: true).location))
        #expect(landing.scheme == "myapp")
        let error = await #expect(throws: GatehouseError.self) { try await client.completeSignIn(from: landing) }
        #expect(error?.code != nil)
        #expect(await client.state == .signedOut)
    }
}
