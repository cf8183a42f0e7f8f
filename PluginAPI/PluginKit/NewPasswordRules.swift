import GatehouseJSON

extension PluginHost {
    /// The core's rules for a password a plugin is about to set (an admin's, a reset by emailed
    /// code): lengths, common passwords, breached passwords. Check them before using up a proof,
    /// so a refused password leaves the code valid for the next try. Throws the core's refusal as
    /// the client must see it (400 `PASSWORD_TOO_SHORT`, `PASSWORD_TOO_LONG` or
    /// `PASSWORD_COMPROMISED`, the core's message; `users.resetPassword` refuses the same way) or
    /// any other host failure. The host operation `passwords.check` (1.8 host).
    public func checkNewPassword(_ password: String) throws {
        _ = try call("passwords.check", ["password": .string(password)])
    }
}
