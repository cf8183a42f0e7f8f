import GatehouseStorage

/// The password half of `/sign-in/email`, shared with plugins' password sign-ins
/// (`passwords.verifySignIn`, by username since ABI 1.8 and by e-mail since 1.10): unknown user,
/// missing credential, wrong password and a locked account all fail after the same hashing work,
/// and each failure counts towards the address's lockout (and may lock it).
struct PasswordSignInCheck {
    /// The user of the address, if there is one.
    let owner: Record?
    /// Whether the password is the owner's and the account is not locked.
    let verified: Bool
    /// Failures were being counted: a success clears them (`AuthContext.clearLockout`).
    let hadFailures: Bool
}

extension AuthContext {
    /// `owner`: the user signing in, if there is one; `key`: what failures count on, the owner's
    /// e-mail (so every password route shares one count per account), else what was tried. A
    /// failure is counted and, when it locks the account, announced (`account.locked` and its
    /// e-mail); the caller reports the refusal.
    func checkPasswordSignIn(owner: Record?, lockoutKey key: String, password: String) async throws -> PasswordSignInCheck {
        let lockout = try await lockoutRow(key)
        var verified = false
        if let owner, let hash = try await store.credentialAccount(userID: owner.id)?.string("password") {
            // While locked, even the right password fails, after the same work.
            verified = await passwords.verify(password, against: hash) && !AccountLockout.isLocked(lockout)
        } else {
            await passwords.verifyDummy(password)
        }
        if !verified, case .locked(let until) = try await recordSignInFailure(key), let owner {
            try await accountLocked(owner, until: until)
        }
        return PasswordSignInCheck(owner: owner, verified: verified, hadFailures: lockout != nil)
    }
}
