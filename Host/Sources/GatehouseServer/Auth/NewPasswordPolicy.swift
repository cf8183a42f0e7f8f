import PasswordScreening

extension AuthContext {
    /// What every route or plugin that sets a password checks first, before it uses up any proof
    /// (a reset token, an emailed code): Better Auth's length rules, then the built-in list of
    /// common passwords and `password.blocklistFile`, then, when enabled, Have I Been Pwned's range
    /// API. An unreachable range API lets the password through with a warning: an outage there
    /// must not stop sign-ups. Passwords already set keep working; only new ones are screened.
    func checkNewPassword(_ password: String) async throws {
        // Bytes first: one character may carry any number of combining marks, which counting and
        // normalising cost.
        let maximum = config.emailAndPassword.maxPasswordLength
        if password.utf8.count / 4 > maximum { throw CoreErrors.passwordTooLong }
        if password.count < config.emailAndPassword.minPasswordLength { throw CoreErrors.passwordTooShort }
        if password.count > maximum { throw CoreErrors.passwordTooLong }
        if PasswordBlocklist.common.contains(password) || config.password.blocklist?.contains(password) == true {
            throw CoreErrors.passwordCompromised
        }
        guard let range = config.password.pwnedPasswords else { return }
        switch await range.check(password) {
        case .breached: throw CoreErrors.passwordCompromised
        case .notFound: return
        case .unavailable(let reason):
            logger.warning("password accepted without the breached-password check: \(reason)", metadata: ["key": "password.haveIBeenPwned"])
        }
    }
}
