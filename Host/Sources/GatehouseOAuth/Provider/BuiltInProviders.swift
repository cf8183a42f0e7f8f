/// The providers Gatehouse knows by name, with Better Auth 1.7's endpoints, scopes, client
/// authentication, ID-token rules, account issuers and profile mappings.
enum BuiltInProviders {
    static let ids = ["google", "github", "apple", "microsoft", "discord", "facebook", "twitter", "linkedin", "gitlab"]

    /// The catalogue entry for `id`; `settings` supplies provider-specific options
    /// (Microsoft's tenant and authority, GitLab's instance).
    static func make(_ id: String, clientID: String, secret: ClientSecret, settings: ProviderSettings.Reader) throws(ProviderSettings.Invalid) -> OAuthProvider? {
        var p: OAuthProvider
        switch id {
        case "google":
            p = OAuthProvider(id: id, clientID: clientID, clientSecret: secret, scopes: ["email", "profile", "openid"], profile: .openID, supportsIDToken: true)
            p.authorizationEndpoint = "https://accounts.google.com/o/oauth2/v2/auth"
            p.tokenEndpoint = "https://oauth2.googleapis.com/token"
            p.jwksURI = "https://www.googleapis.com/oauth2/v3/certs"
            p.idTokenIssuers = ["https://accounts.google.com", "accounts.google.com"]
            p.accountIssuer = "https://accounts.google.com"
            p.authorizationParameters = [("include_granted_scopes", "true")]
            if let accessType = try settings.string("accessType") { p.authorizationParameters.append(("access_type", accessType)) }
            if let hd = try settings.string("hd") { p.authorizationParameters.append(("hd", hd)) }
        case "github":
            p = OAuthProvider(id: id, clientID: clientID, clientSecret: secret, scopes: ["read:user", "user:email"], profile: .github, supportsIDToken: false)
            p.authorizationEndpoint = "https://github.com/login/oauth/authorize"
            p.tokenEndpoint = "https://github.com/login/oauth/access_token"
            p.userInfoEndpoint = "https://api.github.com/user"
        case "apple":
            p = OAuthProvider(id: id, clientID: clientID, clientSecret: secret, scopes: ["email", "name"], profile: .apple, supportsIDToken: true)
            p.authorizationEndpoint = "https://appleid.apple.com/auth/authorize"
            p.tokenEndpoint = "https://appleid.apple.com/auth/token"
            p.jwksURI = "https://appleid.apple.com/auth/keys"
            p.idTokenIssuers = ["https://appleid.apple.com"]
            p.accountIssuer = "https://appleid.apple.com"
            // Apple posts the answer back (form_post) when names or emails are asked for.
            p.authorizationParameters = [("response_mode", "form_post")]
            if let bundle = try settings.string("appBundleIdentifier") { p.extraAudiences = [bundle] }
        case "microsoft":
            let authority = (try settings.string("authority") ?? "https://login.microsoftonline.com").trimmingSuffix("/")
            let tenant = try settings.string("tenantId") ?? "common"
            p = OAuthProvider(id: id, clientID: clientID, clientSecret: secret, scopes: ["openid", "profile", "email", "User.Read", "offline_access"],
                              profile: .microsoft, supportsIDToken: true)
            p.authorizationEndpoint = "\(authority)/\(tenant)/oauth2/v2.0/authorize"
            p.tokenEndpoint = "\(authority)/\(tenant)/oauth2/v2.0/token"
            p.jwksURI = "\(authority)/\(tenant)/discovery/v2.0/keys"
            // Multi-tenant endpoints issue tokens whose issuer names the user's own tenant.
            if !["common", "organizations", "consumers"].contains(tenant) { p.idTokenIssuers = ["\(authority)/\(tenant)/v2.0"] }
        case "discord":
            p = OAuthProvider(id: id, clientID: clientID, clientSecret: secret, scopes: ["identify", "email"], profile: .discord, supportsIDToken: false)
            p.authorizationEndpoint = "https://discord.com/api/oauth2/authorize"
            p.tokenEndpoint = "https://discord.com/api/oauth2/token"
            p.userInfoEndpoint = "https://discord.com/api/users/@me"
            p.pkce = false
        case "facebook":
            p = OAuthProvider(id: id, clientID: clientID, clientSecret: secret, scopes: ["email", "public_profile"], profile: .facebook, supportsIDToken: true)
            p.authorizationEndpoint = "https://www.facebook.com/v24.0/dialog/oauth"
            p.tokenEndpoint = "https://graph.facebook.com/v24.0/oauth/access_token"
            p.userInfoEndpoint = "https://graph.facebook.com/me?fields=id,name,email,picture"
            p.jwksURI = "https://limited.facebook.com/.well-known/oauth/openid/jwks/"
            p.idTokenIssuers = ["https://www.facebook.com"]
            p.accountIssuer = "https://www.facebook.com"
            p.pkce = false
        case "twitter":
            p = OAuthProvider(id: id, clientID: clientID, clientSecret: secret, scopes: ["users.read", "tweet.read", "offline.access", "users.email"],
                              profile: .twitter, supportsIDToken: false)
            p.authorizationEndpoint = "https://x.com/i/oauth2/authorize"
            p.tokenEndpoint = "https://api.x.com/2/oauth2/token"
            p.userInfoEndpoint = "https://api.x.com/2/users/me?user.fields=profile_image_url,confirmed_email"
            p.clientAuthentication = .basic
        case "linkedin":
            p = OAuthProvider(id: id, clientID: clientID, clientSecret: secret, scopes: ["profile", "email", "openid"], profile: .openID, supportsIDToken: false)
            p.authorizationEndpoint = "https://www.linkedin.com/oauth/v2/authorization"
            p.tokenEndpoint = "https://www.linkedin.com/oauth/v2/accessToken"
            p.userInfoEndpoint = "https://api.linkedin.com/v2/userinfo"
            p.pkce = false
        case "gitlab":
            let base = (try settings.string("issuer") ?? "https://gitlab.com").trimmingSuffix("/")
            p = OAuthProvider(id: id, clientID: clientID, clientSecret: secret, scopes: ["read_user"], profile: .gitlab, supportsIDToken: false)
            p.authorizationEndpoint = base + "/oauth/authorize"
            p.tokenEndpoint = base + "/oauth/token"
            p.userInfoEndpoint = base + "/api/v4/user"
        default:
            return nil
        }
        return p
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
