import Foundation
import GatehouseClient
import Testing

/// Sign-up, sign-in, sign-out, persistence and revocation against the real server.
struct SessionTests {
    @Test func signUpSignOutAndSignInAnnounceEachState() async throws {
        let client = try await makeClient()
        let recorder = await StateRecorder(client)
        let email = uniqueEmail("states"), password = uniquePassword()

        let user = try await client.signUp(email: email, password: password, name: "State Tester")
        #expect(user.email == email && !user.emailVerified)
        #expect(await client.state == .signedIn(user))
        #expect(await client.currentSession?.userId == user.id)
        try await client.signOut()
        #expect(await client.currentUser == nil)
        #expect(await client.currentSession == nil)
        let state = try await client.signIn(email: email, password: password)
        #expect(state == .signedIn(user))
        #expect(try await client.getSession()?.user.id == user.id)

        #expect(await recorder.states(count: 4) == [.signedOut, .signedIn(user), .signedOut, .signedIn(user)])
    }

    @Test func aWrongPasswordThrowsAndLeavesTheClientSignedOut() async throws {
        let (client, email, _) = try await signedUpClient("wrong")
        try await client.signOut()
        let error = await #expect(throws: GatehouseError.self) {
            try await client.signIn(email: email, password: "not-the-password-\(UUID())")
        }
        #expect(error?.status == 401 && error?.code == "INVALID_EMAIL_OR_PASSWORD")
        #expect(await client.state == .signedOut)
        #expect(try await client.getSession() == nil)
    }

    @Test func aFileTokenStoreResumesTheSessionInANewClientAndIsOwnerOnly() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-client-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("tokens.json")

        let (first, _, _) = try await signedUpClient("file", storage: FileTokenStore(fileURL: file))
        let user = try #require(await first.currentUser)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let contents = try String(contentsOf: file, encoding: .utf8)
        #expect(contents.contains(GatehouseClient.StoreKey.sessionToken))

        // A new process: a new client on the same file, signed in before any request.
        let second = try await makeClient(storage: FileTokenStore(fileURL: file))
        #expect(await second.state == .signedIn(user))
        #expect(await second.currentSession?.userId == user.id)
        #expect(try await second.getSession()?.user.id == user.id)
        #expect(try await second.listSessions().count == 1)

        try await second.signOut()
        #expect(!FileManager.default.fileExists(atPath: file.path))
        let third = try await makeClient(storage: FileTokenStore(fileURL: file))
        #expect(await third.state == .signedOut)
    }

    @Test func aSessionRevokedOnAnotherDeviceSignsThisOneOut() async throws {
        let store = InMemoryTokenStore()
        let (phone, email, password) = try await signedUpClient("revoked", storage: store)
        let recorder = await StateRecorder(phone)
        let laptop = try await makeClient()
        try await laptop.signIn(email: email, password: password)
        #expect(try await laptop.listSessions().count == 2)

        try await laptop.revokeOtherSessions()
        #expect(try await phone.getSession() == nil)
        #expect(await phone.state == .signedOut)
        #expect(store.get(GatehouseClient.StoreKey.sessionToken) == nil)
        #expect(await recorder.states(count: 2) == [.signedIn(try #require(await laptop.currentUser)), .signedOut])
        #expect(await laptop.state != .signedOut)
    }

    @Test func a401ForTheStoredTokenSignsOut() async throws {
        let store = InMemoryTokenStore()
        let (phone, email, password) = try await signedUpClient("unauthorized", storage: store)
        let laptop = try await makeClient()
        try await laptop.signIn(email: email, password: password)
        let phoneToken = try #require(await phone.currentSession?.token)
        try await laptop.revokeSession(token: phoneToken)

        let error = await #expect(throws: GatehouseError.self) { try await phone.listSessions() }
        #expect(error?.status == 401)
        #expect(await phone.state == .signedOut)
        #expect(store.get(GatehouseClient.StoreKey.sessionToken) == nil)
    }

    @Test func aRefusedCallChangesNeitherTokenNorState() async throws {
        let store = InMemoryTokenStore()
        let (client, _, password) = try await signedUpClient("refused", storage: store)
        let state = await client.state
        let token = store.get(GatehouseClient.StoreKey.sessionToken)

        let error = await #expect(throws: GatehouseError.self) {
            try await client.changePassword(currentPassword: "wrong-\(UUID())", newPassword: uniquePassword())
        }
        #expect(error?.status == 400 && error?.code == "INVALID_PASSWORD")
        // A wrong enrolment code is a 401 while the session lives: the client stays signed in.
        _ = try await client.enableTwoFactor(password: password)
        let wrongCode = await #expect(throws: GatehouseError.self) { try await client.verifyTOTP(code: "000000") }
        #expect(wrongCode?.status == 401)
        let missing = await #expect(throws: GatehouseError.self) {
            let _: [String: String] = try await client.call(.get, "/no-such-route")
        }
        #expect(missing?.status == 404)
        #expect(await client.state == state)
        #expect(store.get(GatehouseClient.StoreKey.sessionToken) == token)
        #expect(try await client.getSession() != nil)
    }

    @Test func anUndecodableAnswerThrows() async throws {
        let (client, _, _) = try await signedUpClient("undecodable")
        let error = await #expect(throws: GatehouseError.self) {
            let _: [Organization] = try await client.call(.get, "/get-session")
        }
        #expect(error?.code == "INVALID_RESPONSE" && error?.status == 200)
        #expect(await client.currentUser != nil)
    }

    @Test func onlyGETsAreRetried() async throws {
        let transport = CountingTransport()
        let (client, _, _) = try await signedUpClient("retry", transport: transport)
        transport.failNext(2)
        #expect(try await client.getSession() != nil)
        #expect(transport.count("/api/auth/get-session") == 4)  // the sign-up's, then 2 failures and the retry

        transport.failNext(1)
        await #expect(throws: URLError.self) { try await client.updateUser(name: "Never Sent") }
        #expect(transport.count("/api/auth/update-user") == 1)
        #expect(await client.currentUser?.name != "Never Sent")
        transport.failNext(0)
    }
}
