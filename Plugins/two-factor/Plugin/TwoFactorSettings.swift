import GatehouseJSON
import PluginKit

/// `plugins.two-factor` settings, named after Better Auth's options where one exists.
/// A bad value refuses the load with a message naming the key.
struct TwoFactorSettings: Sendable {
    enum Storage: String, Sendable { case plain, hashed, encrypted }

    /// TOTP issuer shown by authenticator apps; nil means the app name.
    var issuer: String?
    var totpDisabled = false
    var totpDigits = 6
    var totpPeriod = 30
    var otpEnabled = true
    var otpDigits = 6
    /// Minutes an emailed code stays valid.
    var otpPeriodMinutes = 3
    var otpAllowedAttempts = 5
    var otpStorage = Storage.hashed
    /// The email template kind (`<kind>.subject/.text/.html.mustache`); the host ships `otp`.
    var otpEmailKind = "otp"
    var backupCodeAmount = 10
    var backupCodeLength = 10
    var backupCodeStorage = Storage.encrypted
    var skipVerificationOnEnable = false
    /// Users without a password (social-only) may manage 2FA without one.
    var allowPasswordless = true
    /// Seconds a sign-in challenge (`two_factor` cookie) lasts.
    var challengeMaxAge = 600
    /// Guesses one challenge allows for TOTP and backup codes.
    var challengeAttempts = 5
    var trustDeviceMaxAge = 30 * 86_400
    var lockoutEnabled = true
    var lockoutMaxFailures = 10
    var lockoutSeconds = 900
    /// Where a redirecting sign-in (e.g. an OAuth callback) sends the browser for the second
    /// factor; nil keeps the original target and adds `twoFactorRedirect=true`.
    var twoFactorPage: String?

    init(_ json: JSONValue) throws {
        let reader = SettingsReader(json)
        issuer = try reader.string("issuer")
        totpDisabled = try reader.bool("totpOptions.disable") ?? totpDisabled
        totpDigits = try reader.int("totpOptions.digits", in: 6...8) ?? totpDigits
        totpPeriod = try reader.int("totpOptions.period", in: 15...120) ?? totpPeriod
        otpEnabled = try reader.bool("otpOptions.enabled") ?? otpEnabled
        otpDigits = try reader.int("otpOptions.digits", in: 6...10) ?? otpDigits
        otpPeriodMinutes = try reader.int("otpOptions.period", in: 1...60) ?? otpPeriodMinutes
        otpAllowedAttempts = try reader.int("otpOptions.allowedAttempts", in: 1...20) ?? otpAllowedAttempts
        otpStorage = try reader.oneOf("otpOptions.storeOTP", Storage.self) ?? otpStorage
        otpEmailKind = try reader.string("otpOptions.emailKind") ?? otpEmailKind
        backupCodeAmount = try reader.int("backupCodeOptions.amount", in: 1...50) ?? backupCodeAmount
        backupCodeLength = try reader.int("backupCodeOptions.length", in: 8...32) ?? backupCodeLength
        backupCodeStorage = try reader.oneOf("backupCodeOptions.storeBackupCodes", Storage.self) ?? backupCodeStorage
        guard backupCodeStorage != .hashed else {
            throw PluginError(code: "INVALID_SETTING", message: "plugins.two-factor.backupCodeOptions.storeBackupCodes must be encrypted or plain")
        }
        skipVerificationOnEnable = try reader.bool("skipVerificationOnEnable") ?? skipVerificationOnEnable
        allowPasswordless = try reader.bool("allowPasswordless") ?? allowPasswordless
        challengeMaxAge = try reader.int("twoFactorCookieMaxAge", in: 60...86_400) ?? challengeMaxAge
        challengeAttempts = try reader.int("allowedAttempts", in: 1...20) ?? challengeAttempts
        trustDeviceMaxAge = try reader.int("trustDeviceMaxAge", in: 60...(400 * 86_400)) ?? trustDeviceMaxAge
        lockoutEnabled = try reader.bool("accountLockout.enabled") ?? lockoutEnabled
        lockoutMaxFailures = try reader.int("accountLockout.maxFailedAttempts", in: 1...1000) ?? lockoutMaxFailures
        lockoutSeconds = try reader.int("accountLockout.duration", in: 1...(7 * 86_400)) ?? lockoutSeconds
        twoFactorPage = try reader.string("twoFactorPage")
    }
}

/// Typed reads of dotted keys, refusing values of the wrong type or range.
private struct SettingsReader {
    let json: JSONValue

    init(_ json: JSONValue) { self.json = json }

    func value(_ key: String) -> JSONValue? {
        var node: JSONValue? = json
        for part in key.split(separator: ".") { node = node?[String(part)] }
        return node?.nonNull
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.stringValue, !text.isEmpty else { throw invalid(key, "must be a non-empty string") }
        return text
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard let flag = value.boolValue else { throw invalid(key, "must be true or false") }
        return flag
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value.intValue, Double(number) == value.doubleValue, range.contains(number) else {
            throw invalid(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func oneOf<T: RawRepresentable>(_ key: String, _: T.Type) throws -> T? where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let choice = T(rawValue: text) else { throw invalid(key, "must be one of plain, hashed, encrypted") }
        return choice
    }

    private func invalid(_ key: String, _ problem: String) -> PluginError {
        PluginError(code: "INVALID_SETTING", message: "plugins.two-factor.\(key) \(problem)")
    }
}
