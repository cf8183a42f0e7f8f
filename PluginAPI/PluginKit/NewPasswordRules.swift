import GatehouseJSON

/// The core's rules for a password a plugin is about to set (an admin's, a reset by emailed
/// code): lengths, common passwords, breached passwords. Check them before using up a proof, so
/// a refused password leaves the code valid for the next try.
extension PluginHost {
    /// Throws the core's refusal as the client must see it (400 `PASSWORD_TOO_SHORT`,
    /// `PASSWORD_TOO_LONG` or `PASSWORD_COMPROMISED`, the core's message) or any other host failure.
    /// The host operation `passwords.check` (1.8 host).
    public func checkNewPassword(_ password: String) throws {
        do { _ = try call("passwords.check", ["password": .string(password)]) } catch let failure as PluginError {
            throw failure.newPasswordRefusal ?? failure
        }
    }
}

extension PluginError {
    /// A host refusal of a new password (from `passwords.check` or `users.resetPassword`) as the
    /// client's 400; nil for any other failure.
    public var newPasswordRefusal: PluginError? {
        ["PASSWORD_TOO_SHORT", "PASSWORD_TOO_LONG", "PASSWORD_COMPROMISED"].contains(code) ? PluginError(status: 400, code: code, message: message) : nil
    }
}
