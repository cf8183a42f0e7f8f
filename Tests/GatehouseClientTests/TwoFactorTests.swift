import Foundation
import GatehouseClient
import Testing

/// The two-factor plugin through the client: pyotp is the authenticator app, the SMTP sink the
/// inbox for e-mailed codes.
struct TwoFactorTests {
    /// A signed-out client of an account with two-factor on, with its secret and backup codes.
    static func enrolled(_ tag: String, storage: any TokenStore = InMemoryTokenStore()) async throws
        -> (GatehouseClient, email: String, password: String, secret: String, backupCodes: [String]) {
        let (client, email, password) = try await signedUpClient(tag, storage: storage)
        let setup = try await client.enableTwoFactor(password: password)
        #expect(setup.totpURI.hasPrefix("otpauth://totp/") && setup.backupCodes.count == 10)
        let secret = try #require(totpSecret(setup))
        #expect(await client.currentUser?.twoFactorEnabled != true)
        let user = try await client.verifyTOTP(code: try await Peers.shared().totp(secret: secret))
        #expect(user.twoFactorEnabled == true)
        try await client.signOut()
        return (client, email, password, secret, setup.backupCodes)
    }

    @Test func aTOTPCodeFinishesTheSignInAndAWrongOneKeepsTheChallenge() async throws {
        let (client, email, password, secret, _) = try await Self.enrolled("totp")
        let state = try await client.signIn(email: email, password: password)
        guard case .twoFactorRequired(let methods) = state else { Issue.record("no challenge: \(state)"); return }
        #expect(methods.contains("totp"))
        #expect(try await client.getSession() == nil)

        let wrong = await #expect(throws: GatehouseError.self) { try await client.verifyTOTP(code: "000000") }
        #expect(wrong?.status == 401)
        #expect(await client.state == state)

        // The next window's code: the enrolment used this one.
        let user = try await client.verifyTOTP(code: try await Peers.shared().totp(secret: secret, offset: 30))
        #expect(user.email == email)
        #expect(await client.state == .signedIn(user))
        #expect(try await client.getSession()?.user.id == user.id)
    }

    @Test func aBackupCodeWorksOnce() async throws {
        let (client, email, password, _, codes) = try await Self.enrolled("backup")
        try await client.signIn(email: email, password: password)
        let user = try await client.verifyBackupCode(codes[0])
        #expect(await client.state == .signedIn(user))

        try await client.signOut()
        try await client.signIn(email: email, password: password)
        await #expect(throws: GatehouseError.self) { try await client.verifyBackupCode(codes[0]) }
        try await client.verifyBackupCode(codes[1])
        #expect(await client.currentUser?.email == email)
    }

    @Test func anEmailedCodeFinishesTheSignIn() async throws {
        let (client, email, password, _, _) = try await Self.enrolled("otp")
        try await client.signIn(email: email, password: password)
        try await client.sendTwoFactorOTP()
        let mail = try await Peers.shared().mail(to: email, containing: "verification code is")
        let code = try #require(mail.text.firstMatch(of: /verification code is:\s+(\d{6})/)?.1).description
        let user = try await client.verifyTwoFactorOTP(code: code)
        #expect(user.email == email)
        #expect(await client.state == .signedIn(user))
    }

    @Test func aTrustedDeviceSkipsTheChallengeNextTime() async throws {
        let store = InMemoryTokenStore()
        let (client, email, password, secret, _) = try await Self.enrolled("trust", storage: store)
        try await client.signIn(email: email, password: password)
        try await client.verifyTOTP(code: try await Peers.shared().totp(secret: secret, offset: 30), trustDevice: true)
        #expect(store.get(GatehouseClient.StoreKey.trustDevice)?.contains("trust_device=") == true)
        try await client.signOut()

        // The same device (its store), a new client: no second factor.
        let again = try await makeClient(storage: store)
        let state = try await again.signIn(email: email, password: password)
        guard case .signedIn(let user) = state else { Issue.record("challenged again: \(state)"); return }
        #expect(user.email == email)

        // Another device still gets the challenge.
        let other = try await makeClient()
        guard case .twoFactorRequired = try await other.signIn(email: email, password: password) else {
            Issue.record("another device was not challenged")
            return
        }
    }

    @Test func switchingToAnAccountWithTwoFactorDropsTheOtherSession() async throws {
        let (_, email, password, secret, _) = try await Self.enrolled("switch")
        let (other, _, _) = try await signedUpClient("switch-from")
        let previous = try #require(await other.currentUser)
        let state = try await other.signIn(email: email, password: password)
        guard case .twoFactorRequired = state else { Issue.record("no challenge: \(state)"); return }
        #expect(await other.currentUser == nil)
        let user = try await other.verifyTOTP(code: try await Peers.shared().totp(secret: secret, offset: 30))
        #expect(user.email == email && user.id != previous.id)
        #expect(try await other.getSession()?.user.id == user.id)
    }

    @Test func disablingTwoFactorEndsTheChallenge() async throws {
        let (client, email, password, secret, _) = try await Self.enrolled("disable")
        try await client.signIn(email: email, password: password)
        try await client.verifyTOTP(code: try await Peers.shared().totp(secret: secret, offset: 30))
        try await client.disableTwoFactor(password: password)
        #expect(await client.currentUser?.twoFactorEnabled == false)
        try await client.signOut()
        guard case .signedIn = try await client.signIn(email: email, password: password) else {
            Issue.record("still challenged")
            return
        }
    }
}
