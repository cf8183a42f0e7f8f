import Foundation
import GatehouseOAuth
import GatehouseStorage

/// A user as a provider vouched for it, with the account key it signs in under.
struct ProviderIdentity {
    let provider: OAuthProvider
    let profile: ProviderProfile
    let tokens: OAuthTokens

    /// Better Auth 1.7's account key: the provider's issuer and the subject.
    var issuer: String { profile.accountIssuer ?? provider.issuerForAccounts }
    var accountID: String { profile.subject }
    var email: String? { profile.email?.lowercased() }
}

/// Better Auth's `handleOAuthUserInfo`: find the user by account key, else by email (linking
/// per policy), else create one; then start a session. Refusals are Better Auth's strings
/// (`account not linked`, `signup disabled`, …) that the callback turns into `?error=` codes.
struct OAuthSignIn {
    enum Outcome {
        case signedIn(user: Record, isRegister: Bool)
        case refused(String)
    }

    let auth: AuthContext

    func run(_ identity: ProviderIdentity, disableSignUp: Bool, callbackURL: String?) async throws -> Outcome {
        guard let email = identity.email else { return .refused("email not found") }
        let store = auth.store
        let policy = auth.config.account
        let tokens = AccountTokens(auth: auth)
        let owner = try await store.account(issuer: identity.issuer, providerID: identity.provider.id, accountID: identity.accountID)
        var user: Record
        var isRegister = false

        if let owner {
            guard let found = try await store.user(id: owner.string("userId") ?? "") else { return .refused("unable to link account") }
            user = found
            if policy.updateAccountOnSignIn {
                let changes = tokens.fields(identity.tokens, includeScope: false)
                if !changes.fields.isEmpty { try await store.updateAccount(id: owner.id, changes) }
            }
            user = try await promoteEmailVerified(user, identity)
        } else if let existing = try await store.user(email: email) {
            guard mayLinkImplicitly(existing, identity) else { return .refused("account not linked") }
            try await store.createAccount(accountRecord(identity, userID: existing.id))
            user = try await promoteEmailVerified(existing, identity)
            if policy.updateUserInfoOnLink { user = try await copyProfile(identity, to: user) }
        } else {
            guard !disableSignUp else { return .refused("signup disabled") }
            let data: Record = [
                "name": .string(identity.profile.name), "email": .string(email),
                "emailVerified": .bool(identity.profile.emailVerified),
                "image": identity.profile.image.map(DBValue.string) ?? .null,
            ]
            let account = accountRecord(identity, userID: "")
            do {
                user = try await store.transaction(in: auth.database) { store in
                    let user = try await store.createUser(data)
                    var account = account
                    account["userId"] = .string(user.id)
                    try await store.createAccount(account)
                    return user
                }
            } catch {
                auth.logger.error("social sign-up failed", metadata: ["provider": "\(identity.provider.id)", "error": "\(error)"])
                return .refused("unable to create user")
            }
            isRegister = true
            if !identity.profile.emailVerified, auth.config.emailVerification.sendOnSignUp {
                try? await auth.sendVerificationEmail(to: email, user: user, callbackURL: callbackURL)
            }
        }
        if !isRegister, identity.provider.overrideUserInfoOnSignIn { user = try await overrideUserInfo(identity, user) }
        return .signedIn(user: user, isRegister: isRegister)
    }

    /// Linking a sign-in to an existing user by email: allowed when linking is on and the
    /// provider is trusted, or the provider verified the email and (unless turned off) so
    /// did the user here.
    private func mayLinkImplicitly(_ user: Record, _ identity: ProviderIdentity) -> Bool {
        let policy = auth.config.account
        guard policy.linkingEnabled, !policy.disableImplicitLinking else { return false }
        if policy.trustedProviders.contains(identity.provider.id) { return true }
        guard identity.profile.emailVerified else { return false }
        return !policy.requireLocalEmailVerified || user.bool("emailVerified") == true
    }

    func accountRecord(_ identity: ProviderIdentity, userID: String) -> Record {
        var record = AccountTokens(auth: auth).fields(identity.tokens, includeScope: true)
        record["providerId"] = .string(identity.provider.id)
        record["issuer"] = .string(identity.issuer)
        record["accountId"] = .string(identity.accountID)
        record["userId"] = .string(userID)
        return record
    }

    /// A provider that verified the same address marks the local email verified.
    private func promoteEmailVerified(_ user: Record, _ identity: ProviderIdentity) async throws -> Record {
        guard identity.profile.emailVerified, user.bool("emailVerified") != true, identity.email == user.string("email") else { return user }
        guard let verified = try await auth.store.updateUser(id: user.id, ["emailVerified": true]) else { return user }
        auth.store.events.emit(.emailVerified, user: verified)
        return verified
    }

    /// `updateUserInfoOnLink`: name and image from the provider (never the email).
    func copyProfile(_ identity: ProviderIdentity, to user: Record) async throws -> Record {
        var changes: Record = ["name": .string(identity.profile.name)]
        if let image = identity.profile.image { changes["image"] = .string(image) }
        return try await auth.store.updateUser(id: user.id, changes) ?? user
    }

    /// `overrideUserInfoOnSignIn`: the provider's name, image and email replace the local ones.
    private func overrideUserInfo(_ identity: ProviderIdentity, _ user: Record) async throws -> Record {
        guard let email = identity.email else { return user }
        var changes: Record = ["name": .string(identity.profile.name)]
        if let image = identity.profile.image { changes["image"] = .string(image) }
        let sameEmail = email == user.string("email")
        if sameEmail {
            changes["emailVerified"] = .bool(user.bool("emailVerified") == true || identity.profile.emailVerified)
        } else if try await auth.store.user(email: email) == nil {
            // An address another user holds is never taken over.
            changes["email"] = .string(email)
            changes["emailVerified"] = .bool(identity.profile.emailVerified)
        }
        return try await auth.store.updateUser(id: user.id, changes) ?? user
    }
}
