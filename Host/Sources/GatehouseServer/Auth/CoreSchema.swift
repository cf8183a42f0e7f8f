import Foundation
import GatehouseOAuth
import GatehouseStorage

/// The core tables with Better Auth 1.7's columns (contract §4). `rateLimit` joins only
/// when rate-limit storage is the database.
enum CoreSchema {
    static func tables(includeRateLimit: Bool, socialProviders: [OAuthProvider]) -> SchemaExtension {
        let created = Field("createdAt", .date, input: false, defaultValue: .now)
        let updated = Field("updatedAt", .date, input: false, defaultValue: .now, updatesToNow: true)
        let userRef = FieldReference(table: "user")
        var tables = [
            TableSchema(name: "user", fields: [
                Field("name", .string),
                Field("email", .string, unique: true),
                Field("emailVerified", .boolean, input: false, defaultValue: .value(.bool(false))),
                Field("image", .string, required: false),
                created, updated,
            ]),
            TableSchema(name: "session", fields: [
                Field("expiresAt", .date),
                Field("token", .string, unique: true),
                created, updated,
                Field("ipAddress", .string, required: false),
                Field("userAgent", .string, required: false),
                Field("userId", .string, indexed: true, references: userRef),
            ]),
            TableSchema(name: "account", fields: [
                Field("accountId", .string),
                Field("providerId", .string),
                Field("issuer", .string, backfill: issuerBackfill(socialProviders)),
                Field("userId", .string, indexed: true, references: userRef),
                Field("accessToken", .string, required: false, returned: false),
                Field("refreshToken", .string, required: false, returned: false),
                Field("idToken", .string, required: false, returned: false),
                Field("accessTokenExpiresAt", .date, required: false, returned: false),
                Field("refreshTokenExpiresAt", .date, required: false, returned: false),
                Field("scope", .string, required: false),
                Field("password", .string, required: false, returned: false),
                created, updated,
            ], uniqueTogether: [["issuer", "accountId"]]),
            TableSchema(name: "verification", fields: [
                Field("identifier", .string, indexed: true),
                Field("value", .string),
                Field("expiresAt", .date),
                created, updated,
            ]),
            PluginKeyValueStore.table,
            JobLeases.table,
            ScheduledJobs.table,
            SignInBlocks.table,
            AccountLockout.table,
        ]
        if includeRateLimit {
            tables.append(TableSchema(name: "rateLimit", fields: [
                Field("key", .string, unique: true),
                Field("count", .number),
                Field("lastRequest", .number, bigint: true),
            ]))
        }
        return SchemaExtension(tables: tables)
    }

    /// Better Auth's upgrade note for `account.issuer` on rows made before it existed:
    /// `local:credential` for credential accounts, and the issuer of each configured social
    /// provider whose issuer is fixed. Providers that learn theirs from discovery, and any
    /// other row, stay NULL until the next sign-in finds the row by provider and fills it
    /// (`AuthStore.account(issuer:providerID:accountID:)`).
    static func issuerBackfill(_ providers: [OAuthProvider]) -> String {
        func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
        var known = [("credential", "local:credential")]
        for provider in providers where provider.accountIssuer != nil || provider.discoveryURL == nil {
            known.append((provider.id, provider.issuerForAccounts))
        }
        return "CASE \"providerId\" " + known.map { "WHEN \(literal($0.0)) THEN \(literal($0.1))" }.joined(separator: " ") + " END"
    }
}
