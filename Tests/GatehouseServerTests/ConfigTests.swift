import Foundation
@testable import GatehouseServer
import Testing

@Suite struct ConfigTests {
    func write(_ yaml: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gh-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func defaultsWithoutAFile() throws {
        let config = try GatehouseConfig.load(path: nil, environment: [:])
        #expect(config.baseURL == "http://127.0.0.1:3000")
        #expect(config.basePath == "/api/auth")
        #expect(config.database == "sqlite:./gatehouse.db")
        #expect(config.session.expiresIn == 604_800)
        #expect(config.emailAndPassword.minPasswordLength == 8)
        #expect(!config.rateLimitEnabled)
        #expect(config.email.transport == .log)
    }

    @Test func readsBetterAuthOptionNames() throws {
        let path = try write("""
            baseURL: https://auth.example.com
            secret: a-very-long-secret-value-0123456789abcdef
            trustedOrigins: [https://app.example.com, "https://*.example.org"]
            emailAndPassword: {minPasswordLength: 12, requireEmailVerification: true}
            session: {expiresIn: 3600, cookieCache: {enabled: true, maxAge: 60}}
            rateLimit: {enabled: true, customRules: {"/sign-in/email": {window: 60, max: 5}, "/ok": false}}
            advanced: {cookiePrefix: myapp}
            plugins: {jwt: {jwks: {keyPairConfig: {alg: RS256}}}}
            """)
        let config = try GatehouseConfig.load(path: path, environment: [:])
        #expect(config.secureCookies)
        #expect(config.emailAndPassword.minPasswordLength == 12)
        #expect(config.session.cookieCacheEnabled && config.session.cookieCacheMaxAge == 60)
        #expect(config.rateLimit.customRules.count == 2)
        #expect(config.advanced.cookiePrefix == "myapp")
        #expect(config.plugins["jwt"]?["jwks"]?["keyPairConfig"]?["alg"] == "RS256")
    }

    @Test func environmentOverridesTheFile() throws {
        let path = try write("server: {port: 4000}\nsecret: from-file-from-file-from-file-from-file\n")
        let config = try GatehouseConfig.load(path: path, environment: [
            "GATEHOUSE_PORT": "5000", "BETTER_AUTH_SECRET": "from-better-auth-env-0123456789abcdef",
            "GATEHOUSE_EMAIL_AND_PASSWORD_MIN_PASSWORD_LENGTH": "10", "GATEHOUSE_TRUSTED_ORIGINS": "https://a.io, https://b.io",
        ])
        #expect(config.port == 5000)
        #expect(config.secret == "from-better-auth-env-0123456789abcdef")
        #expect(config.emailAndPassword.minPasswordLength == 10)
        #expect(config.trustedOrigins == ["https://a.io", "https://b.io"])
        let direct = try GatehouseConfig.load(path: path, environment: [
            "BETTER_AUTH_SECRET": "from-better-auth-env-0123456789abcdef", "GATEHOUSE_SECRET": "gatehouse-wins-gatehouse-wins-0123456",
        ])
        #expect(direct.secret == "gatehouse-wins-gatehouse-wins-0123456")
    }

    @Test(arguments: [
        ("sesion: {expiresIn: 5}", "sesion"),
        ("session: {expiresIn: soon}", "session.expiresIn"),
        ("emailAndPassword: {enabled: maybe}", "emailAndPassword.enabled"),
        ("server: {port: 70000}", "server.port"),
        ("baseURL: ftp://x", "baseURL"),
        ("database: mysql://x", "database"),
        ("rateLimit: {storage: redis}", "rateLimit.storage"),
        ("email: {transport: smtp}", "email.smtp.host"),
        ("emailAndPassword: {minPasswordLength: 10, maxPasswordLength: 9}", "emailAndPassword.maxPasswordLength"),
        ("rateLimit: {customRules: {\"/x\": {window: 0, max: 1}}}", "rateLimit.customRules./x"),
        ("mode: production", "secret"),
        ("mode: production\nsecret: better-auth-secret-12345678901234567890", "secret"),
        ("mode: production\nsecret: short", "secret"),
        ("mode: production\nsecret: a-very-long-secret-value-0123456789abcdef\nemail: {transport: log}", "email.transport"),
        ("advanced: {ipAddress: {trustedProxies: [10.0.0.0/8, 10.0.0.0/40]}}", "advanced.ipAddress.trustedProxies[1]"),
        ("advanced: {ipAddress: {ipv6Subnet: 129}}", "advanced.ipAddress.ipv6Subnet"),
        ("emailAndPassword: {lockout: {maxFailures: 0}}", "emailAndPassword.lockout.maxFailures"),
        ("emailAndPassword: {lockout: {lockSeconds: 600, maxLockSeconds: 60}}", "emailAndPassword.lockout.maxLockSeconds"),
    ])
    func invalidSettingsNameTheirKey(_ yaml: String, _ key: String) throws {
        let path = try write(yaml)
        #expect { try GatehouseConfig.load(path: path, environment: [:]) } throws: { error in
            (error as? ConfigError)?.key == key
        }
    }

    @Test func environmentNamesAreSnakeCase() {
        #expect(ConfigKeys.environmentName("baseURL") == "GATEHOUSE_BASE_URL")
        #expect(ConfigKeys.environmentName("emailAndPassword.minPasswordLength") == "GATEHOUSE_EMAIL_AND_PASSWORD_MIN_PASSWORD_LENGTH")
        #expect(ConfigKeys.environmentName("advanced.ipAddress.ipAddressHeaders") == "GATEHOUSE_ADVANCED_IP_ADDRESS_IP_ADDRESS_HEADERS")
    }
}
