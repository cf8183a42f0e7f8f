import Foundation
import GatehouseClient
import Testing

/// `token()`: the jwt plugin's JWT, kept until 60 s before `exp` (the test server issues them
/// for 62 s), checked by PyJWT against the server's /jwks.
struct TokenTests {
    @Test func aJWTIsKeptUntilAMinuteBeforeItsExpiry() async throws {
        let transport = CountingTransport()
        let (client, email, _) = try await signedUpClient("jwt", transport: transport)
        let user = try #require(await client.currentUser)

        let first = try await client.token()
        #expect(try await client.token() == first)
        #expect(transport.count("/api/auth/token") == 1)
        let claims = try await Peers.shared().verifyJWT(first)
        #expect(claims.sub == user.id && claims.email == email)

        // Past 60 s before exp: fetched anew.
        let renewal = claims.exp - 60 + 0.3 - Date().timeIntervalSince1970
        if renewal > 0 { try await Task.sleep(nanoseconds: UInt64(renewal * 1_000_000_000)) }
        let second = try await client.token()
        #expect(transport.count("/api/auth/token") == 2)
        #expect(second != first)
        _ = try await Peers.shared().verifyJWT(second)
    }

    @Test func concurrentCallsShareOneRequest() async throws {
        let transport = CountingTransport()
        let (client, _, _) = try await signedUpClient("jwt-shared", transport: transport)
        async let a = client.token()
        async let b = client.token()
        let (x, y) = try await (a, b)
        #expect(x == y)
        #expect(transport.count("/api/auth/token") == 1)
    }

    @Test func anotherSessionGetsItsOwnJWT() async throws {
        let (client, _, _) = try await signedUpClient("jwt-switch")
        let first = try await Peers.shared().verifyJWT(try await client.token())
        try await client.signUp(email: uniqueEmail("jwt-switch-2"), password: uniquePassword(), name: "Second")
        let second = try await Peers.shared().verifyJWT(try await client.token())
        #expect(second.sub != first.sub)
        #expect(second.sub == (await client.currentUser?.id))
    }

    @Test func signedOutThereIsNoToken() async throws {
        let (client, _, _) = try await signedUpClient("jwt-out")
        _ = try await client.token()
        try await client.signOut()
        let error = await #expect(throws: GatehouseError.self) { try await client.token() }
        #expect(error?.status == 401)
    }
}
