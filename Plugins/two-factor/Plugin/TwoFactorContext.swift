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
    let db: Database
    let cookies: CookieNames

    init(host: PluginHost, settings: TwoFactorSettings, appName: String, emailAvailable: Bool) {
        self.host = host
        self.settings = settings
        self.appName = appName
        self.emailAvailable = emailAvailable
        db = Database(host: host)
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

    /// `count` characters drawn uniformly from `alphabet` (rejection sampling on random bytes).
    func randomText(_ count: Int, alphabet: String = RandomAlphabet.alphanumeric) -> String {
        let symbols = Array(alphabet)
        let limit = 256 - 256 % symbols.count
        var out = ""
        while out.count < count {
            for byte in host.randomBytes(count * 2) where Int(byte) < limit && out.count < count {
                out.append(symbols[Int(byte) % symbols.count])
            }
        }
        return out
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
    let sessionToken: String
    let dontRemember: String
    let twoFactor: String
    let trustDevice: String

    init(host: PluginHost) {
        sessionToken = host.cookieName("session_token")
        dontRemember = host.cookieName("dont_remember")
        twoFactor = host.cookieName(Self.twoFactorBase)
        trustDevice = host.cookieName(Self.trustDeviceBase)
    }

    static let twoFactorBase = "two_factor"
    static let trustDeviceBase = "trust_device"

    /// The value of cookie `name` in a request's `Cookie` header (the first one wins).
    static func value(_ name: String, in call: PluginCall) -> String? {
        guard let header = call.header("cookie") else { return nil }
        for pair in header.split(separator: ";") {
            let trimmed = pair.drop { $0 == " " }
            guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
            return String(trimmed[trimmed.index(after: equals)...])
        }
        return nil
    }
}

/// ISO-8601 dates as the host's `db.*` operations read and write them.
enum ISODate {
    static func parse(_ value: JSONValue?) -> Date? {
        guard let text = value?.stringValue else { return nil }
        return (try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: .iso8601))
    }

    static func format(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
    }
}
