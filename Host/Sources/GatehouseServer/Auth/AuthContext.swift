import Foundation
import GatehouseCrypto
import GatehouseEmail
import GatehouseJSON
import GatehouseStorage
import Logging

/// Everything endpoints and hooks share for one plugin generation: settings, storage,
/// crypto, cookies and email. Immutable; a reload builds a new one.
public final class AuthContext: Sendable {
    public let config: GatehouseConfig
    public let secret: String
    public let database: any Database
    public let schema: Schema
    public let store: AuthStore
    public let signer: CookieSigner
    /// Session cookies already verified under `signer` (a request with one skips its HMAC).
    let sessionCookies: VerifiedSessionCookies
    public let tokens: HS256Tokens
    public let passwords: PasswordService
    public let cookies: AuthCookies
    public let trustedOrigins: TrustedOrigins
    public let email: EmailSender?
    public let socialProviders: SocialProviders
    public let logger: Logger
    /// Plugin events of this generation (ABI 1.1) and the host's own (ABI 1.2), delivered to subscribed plugins.
    let events: PluginEvents
    /// Services between the plugins of this generation (ABI 1.2), registered at install.
    let services = PluginServices()
    /// Which contributor declared each table (plugins may only use their own and the core's).
    public let tableOwners: [String: String]
    /// When this generation's context was made: the reload that loaded its plugins.
    let createdAt = Date()
    /// What became of each library of the plugins directory at the latest load (`plugins.list`).
    let pluginReports: @Sendable () -> [PluginReport]

    public var sessions: SessionService { SessionService(auth: self) }

    init(config: GatehouseConfig, secret: String, database: any Database, schema: Schema, passwords: PasswordService,
         email: EmailSender?, logger: Logger, sessionCache: SessionCache, tableOwners: [String: String] = [:],
         pluginReports: @escaping @Sendable () -> [PluginReport] = { [] }) async {
        self.config = config
        self.secret = secret
        self.database = database
        self.schema = schema
        events = PluginEvents(logger: logger)
        store = AuthStore(adapter: Adapter(schema: schema, executor: database, newID: { RandomIdentifier.generate() }),
                          sessionCache: sessionCache, events: events)
        signer = CookieSigner(secret: secret)
        sessionCookies = VerifiedSessionCookies(signer: signer)
        tokens = await HS256Tokens(secret: secret)
        self.passwords = passwords
        cookies = AuthCookies(prefix: config.advanced.cookiePrefix, secure: config.secureCookies)
        trustedOrigins = TrustedOrigins(baseURL: config.baseURL, configured: config.trustedOrigins,
                                        includeLoopback: !config.baseURLConfigured, port: config.port)
        self.email = email
        socialProviders = SocialProviders(config.socialProviders)
        self.logger = logger
        self.tableOwners = tableOwners
        self.pluginReports = pluginReports
    }

    /// A record as API output: only `returned` fields, in schema order, dates as ISO strings.
    public func output(_ table: String, _ record: Record) -> JSONValue {
        schema.output(table, record)
    }

    /// `{session, user}` as get-session returns it.
    public func output(_ session: AuthSession) -> JSONValue {
        ["session": output("session", session.session), "user": output("user", session.user)]
    }

    /// An absolute URL under the base path, e.g. `url("/verify-email")`.
    public func endpointURL(_ path: String) -> String {
        config.baseURL + config.basePath + path
    }
}

extension Schema {
    /// A record as API output: only `returned` fields, in schema order, dates as ISO strings.
    func output(_ table: String, _ record: Record) -> JSONValue {
        guard let schema = self.table(table) else { return .object([:]) }
        var out = JSONValue.object([:]).objectValue!
        for (name, field) in schema.fields where field.returned {
            out[name] = record[name]?.json ?? .null
        }
        return .object(out)
    }
}
