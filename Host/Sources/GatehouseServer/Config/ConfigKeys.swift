/// Every configuration key Gatehouse understands, with its type. The YAML file is checked
/// against this list (typos are errors) and each scalar key can be set from the environment.
enum ConfigKeys {
    enum Kind: Sendable {
        case string, int, bool, stringList
        /// A free-form subtree (plugin settings, custom rate-limit rules).
        case object
    }

    static let all: [(path: String, kind: Kind)] = [
        ("appName", .string), ("baseURL", .string), ("basePath", .string), ("secret", .string), ("database", .string), ("databasePoolSize", .int),
        ("mode", .string), ("trustedOrigins", .stringList), ("pluginsDir", .string),
        ("pluginTrust.sha256", .stringList), ("pluginTrust.publicKeys", .stringList),
        ("server.host", .string), ("server.port", .int),
        ("logging.level", .string),
        ("emailAndPassword.enabled", .bool), ("emailAndPassword.disableSignUp", .bool),
        ("emailAndPassword.minPasswordLength", .int), ("emailAndPassword.maxPasswordLength", .int),
        ("emailAndPassword.requireEmailVerification", .bool), ("emailAndPassword.autoSignIn", .bool),
        ("emailAndPassword.revokeSessionsOnPasswordReset", .bool), ("emailAndPassword.resetPasswordTokenExpiresIn", .int),
        ("emailAndPassword.passwordHash", .string),
        ("emailAndPassword.lockout.enabled", .bool), ("emailAndPassword.lockout.maxFailures", .int),
        ("emailAndPassword.lockout.windowSeconds", .int), ("emailAndPassword.lockout.lockSeconds", .int),
        ("emailAndPassword.lockout.maxLockSeconds", .int),
        ("password.blocklistFile", .string), ("password.haveIBeenPwned.enabled", .bool),
        ("password.haveIBeenPwned.apiBaseURL", .string), ("password.haveIBeenPwned.timeoutSeconds", .int),
        ("emailVerification.sendOnSignUp", .bool), ("emailVerification.sendOnSignIn", .bool),
        ("emailVerification.autoSignInAfterVerification", .bool), ("emailVerification.expiresIn", .int),
        ("session.expiresIn", .int), ("session.updateAge", .int), ("session.freshAge", .int),
        ("session.deferSessionRefresh", .bool), ("session.disableSessionRefresh", .bool),
        ("session.cookieCache.enabled", .bool), ("session.cookieCache.maxAge", .int),
        ("rateLimit.enabled", .bool), ("rateLimit.window", .int), ("rateLimit.max", .int), ("rateLimit.storage", .string),
        ("rateLimit.customRules", .object),
        ("user.deleteUser.enabled", .bool), ("user.deleteUser.deleteTokenExpiresIn", .int),
        ("user.deleteUser.sendDeleteAccountVerification", .bool),
        ("user.changeEmail.enabled", .bool), ("user.changeEmail.updateEmailWithoutVerification", .bool),
        ("advanced.cookiePrefix", .string), ("advanced.useSecureCookies", .bool), ("advanced.disabledPaths", .stringList),
        ("advanced.ipAddress.ipAddressHeaders", .stringList), ("advanced.ipAddress.disableIpTracking", .bool),
        ("advanced.ipAddress.trustedProxies", .stringList), ("advanced.ipAddress.ipv6Subnet", .int),
        ("email.transport", .string), ("email.from", .string), ("email.templatesDir", .string),
        ("email.smtp.host", .string), ("email.smtp.port", .int), ("email.smtp.secure", .bool),
        ("email.smtp.startTLS", .string), ("email.smtp.username", .string), ("email.smtp.password", .string),
        ("email.webhook.url", .string),
        ("account.encryptOAuthTokens", .bool), ("account.updateAccountOnSignIn", .bool),
        ("account.accountLinking.enabled", .bool), ("account.accountLinking.trustedProviders", .stringList),
        ("account.accountLinking.allowDifferentEmails", .bool), ("account.accountLinking.allowUnlinkingAll", .bool),
        ("account.accountLinking.updateUserInfoOnLink", .bool), ("account.accountLinking.requireLocalEmailVerified", .bool),
        ("account.accountLinking.disableImplicitLinking", .bool),
        ("socialProviders", .object),
        ("onAPIError.errorURL", .string),
        ("plugins", .object),
    ]

    static let kinds: [String: Kind] = Dictionary(uniqueKeysWithValues: all.map { ($0.path, $0.kind) })

    /// Environment names that are not simply `GATEHOUSE_<SNAKE_PATH>`, lowest priority first.
    static let aliases: [(env: String, path: String)] = [
        ("AUTH_SECRET", "secret"), ("BETTER_AUTH_SECRET", "secret"), ("BETTER_AUTH_URL", "baseURL"),
        ("BETTER_AUTH_TRUSTED_ORIGINS", "trustedOrigins"), ("GATEHOUSE_HOST", "server.host"), ("GATEHOUSE_PORT", "server.port"),
    ]

    /// `emailAndPassword.minPasswordLength` → `GATEHOUSE_EMAIL_AND_PASSWORD_MIN_PASSWORD_LENGTH`.
    static func environmentName(_ path: String) -> String {
        "GATEHOUSE_" + path.split(separator: ".").map { snake(String($0)) }.joined(separator: "_")
    }

    static func snake(_ word: String) -> String {
        let chars = Array(word)
        var out = ""
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0 {
                let previous = chars[i - 1]
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { out += "_" }
            }
            out += c.uppercased()
        }
        return out
    }
}
