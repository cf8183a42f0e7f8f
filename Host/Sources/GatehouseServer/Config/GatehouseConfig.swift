import Foundation
import NetworkAddress
import GatehouseJSON
import GatehouseOAuth
import GatehouseStorage
import PasswordScreening

/// The server's settings, with Better Auth's option names and defaults. Durations are seconds.
public struct GatehouseConfig: Sendable {
    public enum Mode: String, Sendable { case development, production }

    public struct EmailAndPassword: Sendable {
        public var enabled = true
        public var disableSignUp = false
        public var minPasswordLength = 8
        public var maxPasswordLength = 128
        public var requireEmailVerification = false
        public var autoSignIn = true
        public var revokeSessionsOnPasswordReset = false
        public var resetPasswordTokenExpiresIn = 3600
        /// `scrypt` (Better Auth's format) or `argon2id` for new hashes.
        public var passwordHash = "scrypt"
        public var lockout = Lockout()
    }

    /// Account lockout against password guessing spread over many addresses (`emailAndPassword.lockout`).
    public struct Lockout: Sendable {
        public var enabled = true
        /// Failures within `windowSeconds` that lock the account.
        public var maxFailures = 10
        public var windowSeconds = 900
        /// The first lock's length; each further lock doubles it, up to `maxLockSeconds`.
        public var lockSeconds = 900
        public var maxLockSeconds = 86_400
    }

    /// Which new passwords are refused besides too short or long ones (`password`): the
    /// built-in list of common passwords always, an operator's list and breached ones if set.
    public struct Password: Sendable {
        /// `password.blocklistFile`, read whenever the configuration loads.
        public var blocklist: PasswordBlocklist?
        /// `password.haveIBeenPwned`, nil unless enabled.
        public var pwnedPasswords: PwnedPasswordsRange?
    }

    public struct EmailVerification: Sendable {
        public var sendOnSignUp = false
        public var sendOnSignIn = false
        public var autoSignInAfterVerification = false
        public var expiresIn = 3600
    }

    public struct Session: Sendable {
        public var expiresIn = 604_800
        public var updateAge = 86_400
        public var freshAge = 86_400
        public var deferSessionRefresh = false
        public var disableSessionRefresh = false
        public var cookieCacheEnabled = false
        public var cookieCacheMaxAge = 300
    }

    public struct RateLimit: Sendable {
        public enum Storage: String, Sendable { case memory, database }
        /// nil: on in production only, as in Better Auth.
        public var enabled: Bool?
        public var window = 10
        public var max = 100
        public var storage = Storage.memory
        /// Path pattern → rule, or nil to turn limiting off for that path.
        public var customRules: [(pattern: String, rule: (window: Int, max: Int)?)] = []
    }

    public struct User: Sendable {
        public var deleteUserEnabled = false
        public var deleteTokenExpiresIn = 86_400
        public var sendDeleteAccountVerification = false
        public var changeEmailEnabled = false
        public var updateEmailWithoutVerification = false
    }

    public struct Advanced: Sendable {
        public var cookiePrefix = "better-auth"
        public var useSecureCookies: Bool?
        public var disabledPaths: [String] = []
        public var ipAddressHeaders = ["x-forwarded-for"]
        public var disableIpTracking = false
        /// The proxies whose forwarded headers name the client (`advanced.ipAddress.trustedProxies`);
        /// nil when not set (see `ClientAddress.Trust`).
        public var trustedProxies: [IPNetwork]?
        /// IPv6 clients share a rate-limit bucket per network of this many bits (Better Auth's `ipv6Subnet`).
        public var ipv6Subnet = 64
    }

    /// Linked accounts and social sign-in (Better Auth's `account` options).
    public struct Account: Sendable {
        public var encryptOAuthTokens = false
        public var updateAccountOnSignIn = true
        public var linkingEnabled = true
        /// Providers whose accounts link without the email checks below.
        public var trustedProviders: [String] = []
        /// Implicit linking needs the local user's email verified (unless the provider is trusted).
        public var requireLocalEmailVerified = true
        /// Only link-social links; a sign-in never links to an existing user by email.
        public var disableImplicitLinking = false
        public var allowDifferentEmails = false
        public var allowUnlinkingAll = false
        public var updateUserInfoOnLink = false
    }

    public struct Email: Sendable {
        public enum Transport: String, Sendable { case smtp, webhook, log, none }
        public var transport: Transport
        public var from = "Gatehouse <no-reply@localhost>"
        public var templatesDir: String?
        public var smtpHost: String?
        public var smtpPort = 587
        public var smtpSecure = false
        public var smtpStartTLS = "opportunistic"
        public var smtpUsername: String?
        public var smtpPassword: String?
        public var webhookURL: String?
    }

    public var appName = "Gatehouse"
    public var baseURL: String
    public var basePath = "/api/auth"
    /// nil until resolved: then generated and kept next to the database.
    public var secret: String?
    public var database = "sqlite:./gatehouse.db"
    /// `database` as logs and messages show it (without a password).
    public var databaseDisplayed: String { (try? DatabaseLocation(database).displayed) ?? "(invalid)" }
    /// The most connections one instance opens for queries (PostgreSQL; one more listens).
    public var databasePoolSize = 10
    public var mode = Mode.development
    public var trustedOrigins: [String] = []
    public var pluginsDir = "./plugins.d"
    /// Which plugin libraries may load (`pluginTrust.sha256`, `pluginTrust.publicKeys`).
    public var pluginTrust = PluginTrustPolicy()
    public var host = "127.0.0.1"
    public var port = 3000
    public var logLevel = "info"
    public var emailAndPassword = EmailAndPassword()
    public var password = Password()
    public var emailVerification = EmailVerification()
    public var session = Session()
    public var rateLimit = RateLimit()
    public var user = User()
    public var advanced = Advanced()
    public var email: Email
    public var account = Account()
    /// `socialProviders.<id>`, validated, in configuration order.
    public var socialProviders: [OAuthProvider] = []
    /// Where failed OAuth redirects and `/error` send the browser (`onAPIError.errorURL`).
    public var errorURL: String?
    public var plugins: [String: JSONValue] = [:]

    /// Whether `baseURL` came from the configuration (otherwise it is derived from host and port).
    public var baseURLConfigured: Bool

    public var isProduction: Bool { mode == .production }
    public var rateLimitEnabled: Bool { rateLimit.enabled ?? isProduction }
    public var secureCookies: Bool { advanced.useSecureCookies ?? baseURL.lowercased().hasPrefix("https://") }
}

extension GatehouseConfig {
    /// Better Auth's development default secret: refused in production.
    public static let defaultSecret = "better-auth-secret-12345678901234567890"

    /// Loads the YAML file (nil: none) and environment overrides, and validates the result.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GatehouseConfig {
        try GatehouseConfig(ConfigSource.load(path: path, environment: environment))
    }

    init(_ source: ConfigSource) throws {
        func string(_ key: String) -> String? { source.value(key)?.stringValue }
        func int(_ key: String) -> Int? { source.value(key)?.intValue }
        func bool(_ key: String) -> Bool? { source.value(key)?.boolValue }
        func list(_ key: String) -> [String]? { source.value(key)?.arrayValue?.compactMap(\.stringValue) }
        func oneOf<T: RawRepresentable<String>>(_ key: String, _ fallback: T) throws -> T {
            guard let text = string(key) else { return fallback }
            guard let value = T(rawValue: text) else { throw ConfigError(key: key, "unsupported value \"\(text)\"") }
            return value
        }
        func positive(_ key: String, _ fallback: Int, allowZero: Bool = false) throws -> Int {
            guard let value = int(key) else { return fallback }
            guard value > 0 || (allowZero && value == 0) else { throw ConfigError(key: key, "must be \(allowZero ? "zero or more" : "greater than zero")") }
            return value
        }

        mode = try oneOf("mode", Mode.development)
        appName = string("appName") ?? appName
        host = string("server.host") ?? host
        port = int("server.port") ?? port
        guard (0...65535).contains(port) else { throw ConfigError(key: "server.port", "must be between 0 and 65535") }
        baseURLConfigured = string("baseURL") != nil
        baseURL = string("baseURL") ?? "http://\(host == "0.0.0.0" || host == "::" ? "localhost" : host):\(port)"
        guard let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            throw ConfigError(key: "baseURL", "must be an absolute http(s) URL, got \"\(baseURL)\"")
        }
        baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        basePath = string("basePath") ?? basePath
        guard basePath.hasPrefix("/"), basePath == "/" || !basePath.hasSuffix("/"), !basePath.contains("//") else {
            throw ConfigError(key: "basePath", "must start with / and not end with /")
        }
        if basePath == "/" { basePath = "" }
        secret = string("secret")
        database = string("database") ?? database
        do { _ = try DatabaseLocation(database) } catch { throw ConfigError(key: "database", error.description) }
        databasePoolSize = int("databasePoolSize") ?? databasePoolSize
        guard (1...1000).contains(databasePoolSize) else { throw ConfigError(key: "databasePoolSize", "must be between 1 and 1000") }
        trustedOrigins = list("trustedOrigins") ?? []
        pluginsDir = string("pluginsDir") ?? pluginsDir
        pluginTrust = try PluginTrustPolicy(sha256: list("pluginTrust.sha256") ?? [], publicKeys: list("pluginTrust.publicKeys") ?? [])
        logLevel = string("logging.level") ?? logLevel
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw ConfigError(key: "logging.level", "unsupported value \"\(logLevel)\"")
        }

        emailAndPassword.enabled = bool("emailAndPassword.enabled") ?? true
        emailAndPassword.disableSignUp = bool("emailAndPassword.disableSignUp") ?? false
        emailAndPassword.minPasswordLength = try positive("emailAndPassword.minPasswordLength", 8)
        emailAndPassword.maxPasswordLength = try positive("emailAndPassword.maxPasswordLength", 128)
        guard emailAndPassword.maxPasswordLength >= emailAndPassword.minPasswordLength else {
            throw ConfigError(key: "emailAndPassword.maxPasswordLength", "must not be below minPasswordLength")
        }
        emailAndPassword.requireEmailVerification = bool("emailAndPassword.requireEmailVerification") ?? false
        emailAndPassword.autoSignIn = bool("emailAndPassword.autoSignIn") ?? true
        emailAndPassword.revokeSessionsOnPasswordReset = bool("emailAndPassword.revokeSessionsOnPasswordReset") ?? false
        emailAndPassword.resetPasswordTokenExpiresIn = try positive("emailAndPassword.resetPasswordTokenExpiresIn", 3600)
        emailAndPassword.passwordHash = string("emailAndPassword.passwordHash") ?? "scrypt"
        emailAndPassword.lockout.enabled = bool("emailAndPassword.lockout.enabled") ?? true
        emailAndPassword.lockout.maxFailures = try positive("emailAndPassword.lockout.maxFailures", 10)
        emailAndPassword.lockout.windowSeconds = try positive("emailAndPassword.lockout.windowSeconds", 900)
        emailAndPassword.lockout.lockSeconds = try positive("emailAndPassword.lockout.lockSeconds", 900)
        emailAndPassword.lockout.maxLockSeconds = try positive("emailAndPassword.lockout.maxLockSeconds", 86_400)
        guard emailAndPassword.lockout.maxLockSeconds >= emailAndPassword.lockout.lockSeconds else {
            throw ConfigError(key: "emailAndPassword.lockout.maxLockSeconds", "must not be below lockSeconds")
        }
        guard ["scrypt", "argon2id"].contains(emailAndPassword.passwordHash) else {
            throw ConfigError(key: "emailAndPassword.passwordHash", "must be scrypt or argon2id")
        }
        if let path = string("password.blocklistFile") {
            do { password.blocklist = try PasswordBlocklist(file: path) } catch { throw ConfigError(key: "password.blocklistFile", "\(error)") }
        }
        if bool("password.haveIBeenPwned.enabled") == true {
            let base = string("password.haveIBeenPwned.apiBaseURL") ?? PwnedPasswordsRange.defaultBaseURL
            guard let url = URL(string: base), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil, url.query == nil, url.fragment == nil else {
                throw ConfigError(key: "password.haveIBeenPwned.apiBaseURL", "must be an absolute http(s) URL without a query or fragment")
            }
            let timeout = try positive("password.haveIBeenPwned.timeoutSeconds", 3)
            guard timeout <= 60 else { throw ConfigError(key: "password.haveIBeenPwned.timeoutSeconds", "must be at most 60") }
            password.pwnedPasswords = PwnedPasswordsRange(apiBaseURL: base, timeoutSeconds: timeout)
        }

        emailVerification.sendOnSignUp = bool("emailVerification.sendOnSignUp") ?? false
        emailVerification.sendOnSignIn = bool("emailVerification.sendOnSignIn") ?? false
        emailVerification.autoSignInAfterVerification = bool("emailVerification.autoSignInAfterVerification") ?? false
        emailVerification.expiresIn = try positive("emailVerification.expiresIn", 3600)

        session.expiresIn = try positive("session.expiresIn", 604_800)
        session.updateAge = try positive("session.updateAge", 86_400, allowZero: true)
        session.freshAge = try positive("session.freshAge", 86_400, allowZero: true)
        session.deferSessionRefresh = bool("session.deferSessionRefresh") ?? false
        session.disableSessionRefresh = bool("session.disableSessionRefresh") ?? false
        session.cookieCacheEnabled = bool("session.cookieCache.enabled") ?? false
        session.cookieCacheMaxAge = try positive("session.cookieCache.maxAge", 300)

        rateLimit.enabled = bool("rateLimit.enabled")
        rateLimit.window = try positive("rateLimit.window", 10)
        rateLimit.max = try positive("rateLimit.max", 100)
        rateLimit.storage = try oneOf("rateLimit.storage", RateLimit.Storage.memory)
        for (pattern, rule) in source.value("rateLimit.customRules")?.objectValue ?? [:] {
            let key = "rateLimit.customRules.\(pattern)"
            guard pattern.hasPrefix("/") else { throw ConfigError(key: key, "a rule's path must start with /") }
            if rule == .bool(false) {
                rateLimit.customRules.append((pattern, nil))
            } else if let window = rule["window"]?.intValue, let max = rule["max"]?.intValue, window > 0, max > 0 {
                rateLimit.customRules.append((pattern, (window, max)))
            } else {
                throw ConfigError(key: key, "must be false or {window, max} with positive whole numbers")
            }
        }

        user.deleteUserEnabled = bool("user.deleteUser.enabled") ?? false
        user.deleteTokenExpiresIn = try positive("user.deleteUser.deleteTokenExpiresIn", 86_400)
        user.sendDeleteAccountVerification = bool("user.deleteUser.sendDeleteAccountVerification") ?? false
        user.changeEmailEnabled = bool("user.changeEmail.enabled") ?? false
        user.updateEmailWithoutVerification = bool("user.changeEmail.updateEmailWithoutVerification") ?? false

        advanced.cookiePrefix = string("advanced.cookiePrefix") ?? advanced.cookiePrefix
        guard !advanced.cookiePrefix.isEmpty, advanced.cookiePrefix.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ConfigError(key: "advanced.cookiePrefix", "may only contain letters, digits, '-', '_' and '.'")
        }
        advanced.useSecureCookies = bool("advanced.useSecureCookies")
        advanced.disabledPaths = list("advanced.disabledPaths") ?? []
        advanced.ipAddressHeaders = (list("advanced.ipAddress.ipAddressHeaders") ?? advanced.ipAddressHeaders).map { $0.lowercased() }
        advanced.disableIpTracking = bool("advanced.ipAddress.disableIpTracking") ?? false
        if let entries = source.value("advanced.ipAddress.trustedProxies") {
            advanced.trustedProxies = try (entries.arrayValue ?? []).enumerated().map { index, entry in
                guard let network = entry.stringValue.flatMap(IPNetwork.init) else {
                    throw ConfigError(key: "advanced.ipAddress.trustedProxies[\(index)]", "must be an IP address or a CIDR network (10.0.0.0/8, 2001:db8::/32)")
                }
                return network
            }
        }
        advanced.ipv6Subnet = int("advanced.ipAddress.ipv6Subnet") ?? advanced.ipv6Subnet
        guard (1...128).contains(advanced.ipv6Subnet) else { throw ConfigError(key: "advanced.ipAddress.ipv6Subnet", "must be between 1 and 128") }

        email = Email(transport: mode == .production ? .none : .log)
        email.transport = try oneOf("email.transport", email.transport)
        email.from = string("email.from") ?? email.from
        email.templatesDir = string("email.templatesDir")
        email.smtpHost = string("email.smtp.host")
        email.smtpPort = int("email.smtp.port") ?? (bool("email.smtp.secure") == true ? 465 : 587)
        email.smtpSecure = bool("email.smtp.secure") ?? false
        email.smtpStartTLS = string("email.smtp.startTLS") ?? "opportunistic"
        guard ["off", "opportunistic", "required"].contains(email.smtpStartTLS) else {
            throw ConfigError(key: "email.smtp.startTLS", "must be off, opportunistic or required")
        }
        email.smtpUsername = string("email.smtp.username")
        email.smtpPassword = string("email.smtp.password")
        email.webhookURL = string("email.webhook.url")
        if email.transport == .smtp, email.smtpHost == nil { throw ConfigError(key: "email.smtp.host", "is required when email.transport is smtp") }
        if email.transport == .webhook, email.webhookURL.flatMap(URL.init(string:))?.scheme == nil {
            throw ConfigError(key: "email.webhook.url", "must be an http(s) URL when email.transport is webhook")
        }
        account.encryptOAuthTokens = bool("account.encryptOAuthTokens") ?? false
        account.updateAccountOnSignIn = bool("account.updateAccountOnSignIn") ?? true
        account.linkingEnabled = bool("account.accountLinking.enabled") ?? true
        account.trustedProviders = list("account.accountLinking.trustedProviders") ?? []
        account.requireLocalEmailVerified = bool("account.accountLinking.requireLocalEmailVerified") ?? true
        account.disableImplicitLinking = bool("account.accountLinking.disableImplicitLinking") ?? false
        account.allowDifferentEmails = bool("account.accountLinking.allowDifferentEmails") ?? false
        account.allowUnlinkingAll = bool("account.accountLinking.allowUnlinkingAll") ?? false
        account.updateUserInfoOnLink = bool("account.accountLinking.updateUserInfoOnLink") ?? false
        for (id, settings) in source.value("socialProviders")?.objectValue ?? [:] {
            do { socialProviders.append(try ProviderSettings.provider(id: id, settings)) } catch {
                throw ConfigError(key: "socialProviders.\(id)\(error.key.map { "." + $0 } ?? "")", error.message)
            }
        }
        errorURL = string("onAPIError.errorURL")
        plugins = Dictionary(uniqueKeysWithValues: (source.value("plugins")?.objectValue ?? [:]).map { ($0.key, $0.value) })

        if mode == .production {
            guard let secret else { throw ConfigError(key: "secret", "is required in production (set GATEHOUSE_SECRET)") }
            guard secret != Self.defaultSecret else { throw ConfigError(key: "secret", "the default development secret is not allowed in production") }
            guard secret.count >= 32 else { throw ConfigError(key: "secret", "must be at least 32 characters in production") }
            guard email.transport != .log else { throw ConfigError(key: "email.transport", "log is for development only; use smtp or webhook") }
        }
    }
}
