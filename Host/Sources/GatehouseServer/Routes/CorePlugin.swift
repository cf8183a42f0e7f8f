import GatehouseOAuth
import GatehouseStorage

/// The core auth API, registered through the same `AuthPlugin` interface a plugin uses.
struct CorePlugin: AuthPlugin {
    let id = "core"
    let version = GatehouseVersion.current
    let includeRateLimitTable: Bool
    let socialProviders: [OAuthProvider]

    init(_ config: GatehouseConfig) {
        includeRateLimitTable = config.rateLimit.storage == .database
        socialProviders = config.socialProviders
    }

    var endpoints: [Endpoint] {
        [SignUpRoute.endpoint, SignInRoute.endpoint] + SessionRoutes.endpoints + PasswordRoutes.endpoints
            + EmailVerificationRoutes.endpoints + UserRoutes.endpoints + AccountRoutes.endpoints + SocialSignInRoutes.endpoints
            + AppSocialSignInRoutes.endpoints + OAuthCallbackRoute.endpoints + AccountTokenRoutes.endpoints + UtilityRoutes.endpoints
    }

    var errorCodes: [ErrorCode] { CoreErrors.catalogue }

    var schema: SchemaExtension { CoreSchema.tables(includeRateLimit: includeRateLimitTable, socialProviders: socialProviders) }
}

/// The Gatehouse release.
public enum GatehouseVersion {
    public static let current = "0.1.0"
}
