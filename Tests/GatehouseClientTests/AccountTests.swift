import Foundation
import GatehouseClient
import Testing

/// The account calls, and the mails they send read from the SMTP sink.
struct AccountTests {
    @Test func updateUserAnnouncesTheNewProfile() async throws {
        let (client, _, _) = try await signedUpClient("profile")
        let recorder = await StateRecorder(client)
        let updated = try await client.updateUser(name: "New Name", image: "https://img.example/me.png")
        #expect(updated.name == "New Name" && updated.image == "https://img.example/me.png")
        #expect(await client.currentUser == updated)
        #expect(await recorder.states(count: 2).last == .signedIn(updated))
    }

    @Test func aPasswordChangeThatRevokesOtherSessionsRotatesWithoutSigningOut() async throws {
        let store = InMemoryTokenStore()
        let (client, email, password) = try await signedUpClient("rotate", storage: store)
        let other = try await makeClient()
        try await other.signIn(email: email, password: password)
        let recorder = await StateRecorder(client)
        let oldToken = try #require(store.get(GatehouseClient.StoreKey.sessionToken))

        let newPassword = uniquePassword()
        try await client.changePassword(currentPassword: password, newPassword: newPassword, revokeOtherSessions: true)
        let newToken = try #require(store.get(GatehouseClient.StoreKey.sessionToken))
        #expect(newToken != oldToken)
        #expect(try await client.getSession() != nil)
        #expect(try await other.getSession() == nil)

        // The rotation announced nothing: the only change is the sign-out that follows.
        let user = try #require(await client.currentUser)
        try await client.signOut()
        #expect(await recorder.states(count: 2) == [.signedIn(user), .signedOut])
        try await client.signIn(email: email, password: newPassword)
        #expect(await client.currentUser?.email == email)
    }

    @Test func aVerificationMailArrives() async throws {
        let (client, email, _) = try await signedUpClient("verify")
        try await client.sendVerificationEmail(email: email, callbackURL: "/verified")
        let mail = try await Peers.shared().mail(to: email, containing: "verify-email?token=")
        #expect(mail.text.contains("callbackURL=%2Fverified") || mail.text.contains("callbackURL=/verified"))
    }

    @Test func aPasswordIsResetFromTheMailedLink() async throws {
        let (client, email, _) = try await signedUpClient("reset")
        try await client.signOut()
        try await client.requestPasswordReset(email: email, redirectTo: "myapp://auth/reset")
        let mail = try await Peers.shared().mail(to: email, containing: "/reset-password/")
        let link = try #require(mail.text.split(whereSeparator: \.isWhitespace).first { $0.contains("/reset-password/") })
        let token = try #require(URLComponents(string: String(link))?.path.split(separator: "/").last).description

        let newPassword = uniquePassword()
        try await client.resetPassword(token: token, newPassword: newPassword)
        await #expect(throws: GatehouseError.self) { try await client.resetPassword(token: token, newPassword: uniquePassword()) }
        let state = try await client.signIn(email: email, password: newPassword)
        guard case .signedIn(let user) = state else { Issue.record("not signed in: \(state)"); return }
        #expect(user.email == email)
    }

    @Test func deletingTheAccountSignsOut() async throws {
        let store = InMemoryTokenStore()
        let (client, email, password) = try await signedUpClient("delete", storage: store)
        let refused = await #expect(throws: GatehouseError.self) { try await client.deleteUser(password: "wrong-\(UUID())") }
        #expect(refused?.status == 400)
        #expect(await client.currentUser != nil)

        try await client.deleteUser(password: password)
        #expect(await client.state == .signedOut)
        #expect(store.get(GatehouseClient.StoreKey.sessionToken) == nil)
        await #expect(throws: GatehouseError.self) { try await client.signIn(email: email, password: password) }
    }

    @Test func revokingTheOwnSessionOrAllSessionsSignsOut() async throws {
        let (client, email, password) = try await signedUpClient("revoke-own")
        let own = try #require(await client.currentSession?.token)
        try await client.revokeSession(token: own)
        #expect(await client.state == .signedOut)

        try await client.signIn(email: email, password: password)
        let other = try await makeClient()
        try await other.signIn(email: email, password: password)
        try await client.revokeSessions()
        #expect(await client.state == .signedOut)
        #expect(try await other.getSession() == nil)
    }
}
