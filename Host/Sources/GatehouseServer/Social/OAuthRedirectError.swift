import GatehouseCrypto
import GatehouseOAuth

/// A failed OAuth callback: the browser goes to the error URL with `?error=<code>` (Better
/// Auth's codes, e.g. `state_mismatch`, `invalid_code`) and an optional description.
struct OAuthRedirectError: Error {
    let code: String
    var description: String?
    /// The flow's `errorCallbackURL`, once the state is known.
    var errorURL: String?

    init(_ code: String, description: String? = nil, errorURL: String? = nil) {
        self.code = code
        self.description = description
        self.errorURL = errorURL
    }

    /// `errorURL` (or the default) with `error` and `error_description` appended.
    func location(defaultURL: String) -> String {
        var url = AuthContext.appending(errorURL ?? defaultURL, "error", code)
        if let description, !description.isEmpty { url = AuthContext.appending(url, "error_description", description) }
        return url
    }
}

extension AuthContext {
    /// `onAPIError.errorURL`, or `{baseURL}{basePath}/error`.
    var defaultErrorURL: String { config.errorURL ?? endpointURL("/error") }

    /// Where the provider sends the browser back: the provider's `redirectURI`, else
    /// `{baseURL}{basePath}/callback/<id>`.
    func redirectURI(for provider: OAuthProvider) -> String {
        provider.redirectURI ?? endpointURL("/callback/" + provider.id)
    }
}
