import Foundation
import GatehouseJSON
import OneTimePassword
import PluginKit

/// What every part of the plugin shares: the host, the settings and a few derived facts.
struct TwoFactorContext: Sendable {
    let host: PluginHost
    let settings: TwoFactorSettings
    let appName: String
    /// Whether the host has an email transport, so emailed codes can be offered.
    let emailAvailable: Bool
    let db: PluginDatabase
    let cookies: CookieNames

    init(host: PluginHost, settings: TwoFactorSettings, appName: String, emailAvailable: Bool) {
        self.host = host
        self.settings = settings
        self.appName = appName
        self.emailAvailable = emailAvailable
        db = PluginDatabase(host: host)
        cookies = CookieNames(host: host)
    }

    var otpAvailable: Bool { settings.otpEnabled && emailAvailable }

    /// TOTP over a decrypted secret: Better Auth uses the secret's UTF-8 bytes as the key.
    func totp(secret: String) -> OneTimePassword {
        let host = host
        return OneTimePassword(key: Array(secret.utf8), digits: settings.totpDigits, period: settings.totpPeriod) { key, message in
            host.hmac(.sha1, key: key, message) ?? []
        }
    }

    func totpURI(secret: String, account: String, issuer: String?) -> String {
        OTPAuthURI.totp(secret: Array(secret.utf8), issuer: issuer ?? settings.issuer ?? appName, account: account,
                        digits: settings.totpDigits, period: settings.totpPeriod)
    }

    func randomText(_ count: Int, alphabet: String = RandomAlphabet.alphanumeric) -> String {
        host.randomText(count, alphabet: alphabet)
    }

    /// Turns a host-operation failure into a 500 the client sees without internal detail.
    func failIfNil<T>(_ value: T?, _ what: String) throws -> T {
        guard let value else {
            host.log(.error, "two-factor: \(what)")
            throw PluginError(status: 500, code: "TWO_FACTOR_ERROR", message: "Two-factor authentication failed")
        }
        return value
    }
}

enum RandomAlphabet {
    static let alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    /// Better Auth's TOTP secrets: `generateRandomString(32)` over `A-Z a-z 0-9 - _`.
    static let secret = alphanumeric + "-_"
    static let digits = "0123456789"
}

/// Full cookie names (prefix and `__Secure-` as the host configures them), computed once.
struct CookieNames: Sendable {
    let dontRemember: String
    let twoFactor: String
    let trustDevice: String

    init(host: PluginHost) {
        dontRemember = host.cookieName("dont_remember")
        twoFactor = host.cookieName(Self.twoFactorBase)
        trustDevice = host.cookieName(Self.trustDeviceBase)
    }

    static let twoFactorBase = "two_factor"
    static let trustDeviceBase = "trust_device"
}
