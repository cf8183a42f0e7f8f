import GatehouseStorage

/// Explicit linking (link-social): a provider account joins the signed-in user. The
/// provider must be trusted or have verified the email, linking must be on, and the email
/// must match unless `allowDifferentEmails`.
struct AccountLinking {
    let auth: AuthContext

    /// The ID-token variant: answers with Better Auth's link-social error codes.
    func linkWithIDToken(_ identity: ProviderIdentity, to user: Record) async throws {
        if let existing = try await auth.store.account(issuer: identity.issuer, providerID: identity.provider.id, accountID: identity.accountID) {
            if existing.string("userId") == user.id { return }
            throw APIError(.conflict, "SOCIAL_ACCOUNT_ALREADY_LINKED", "Social account already linked")
        }
        if let refusal = refusal(identity, linkEmail: user.string("email") ?? "") {
            throw refusal == "email_does_not_match"
                ? CoreErrors.error("LINKING_DIFFERENT_EMAILS_NOT_ALLOWED", .unauthorized)
                : CoreErrors.error("LINKING_NOT_ALLOWED", .unauthorized)
        }
        do {
            try await auth.store.createAccount(OAuthSignIn(auth: auth).accountRecord(identity, userID: user.id))
        } catch {
            throw APIError(.expectationFailed, "LINKING_FAILED", "Account not linked - unable to create account")
        }
        if auth.config.account.updateUserInfoOnLink { _ = try await OAuthSignIn(auth: auth).copyProfile(identity, to: user) }
    }

    /// The callback variant: failures are `?error=` codes.
    func linkFromCallback(_ identity: ProviderIdentity, email: String, userID: String, errorURL: String?) async throws {
        if let refusal = refusal(identity, linkEmail: email) { throw OAuthRedirectError(refusal, errorURL: errorURL) }
        let store = auth.store
        if let existing = try await store.account(issuer: identity.issuer, providerID: identity.provider.id, accountID: identity.accountID) {
            guard existing.string("userId") == userID else {
                throw OAuthRedirectError("account_already_linked_to_different_user", errorURL: errorURL)
            }
            var changes = AccountTokens(auth: auth).fields(identity.tokens, includeScope: false)
            var scopes = (existing.string("scope") ?? "").split(separator: ",").map(String.init)
            for scope in identity.tokens.scopes where !scopes.contains(scope) { scopes.append(scope) }
            if !scopes.isEmpty { changes["scope"] = .string(scopes.joined(separator: ",")) }
            try await store.updateAccount(id: existing.id, changes)
        } else {
            do { try await store.createAccount(OAuthSignIn(auth: auth).accountRecord(identity, userID: userID)) } catch {
                throw OAuthRedirectError("unable_to_link_account", errorURL: errorURL)
            }
        }
        if auth.config.account.updateUserInfoOnLink, let user = try await store.user(id: userID) {
            _ = try await OAuthSignIn(auth: auth).copyProfile(identity, to: user)
        }
    }

    /// Why this identity may not be linked to a user with `linkEmail`, as a callback error code.
    private func refusal(_ identity: ProviderIdentity, linkEmail: String) -> String? {
        let policy = auth.config.account
        let trusted = policy.trustedProviders.contains(identity.provider.id)
        if !policy.linkingEnabled || (!trusted && !identity.profile.emailVerified) { return "unable_to_link_account" }
        if identity.email != linkEmail.lowercased(), !policy.allowDifferentEmails { return "email_does_not_match" }
        return nil
    }
}
