import Foundation
import GatehouseJSON
import PluginKit

/// The authorization endpoint's decisions (RFC 6749 §4.1, RFC 7636, OpenID Connect Core §3.1.2):
/// where the browser goes next for one authorization request and the caller's session. Shared by
/// `/oauth2/authorize`, the sign-in that continues it (`oauth_query`) and `/oauth2/consent`.
struct Authorizer: Sendable {
    typealias Parameters = [(name: String, value: String)]

    let settings: OAuthProviderSettings
    let clients: ClientRegistry
    let codes: AuthorizationCodes
    let consents: ConsentStore
    let signedQuery: SignedQuery
    let issuer: String
    /// Gatehouse's own error page, for requests whose redirect URI cannot be trusted.
    let errorPage: String

    /// The URL the browser goes to next.
    func authorize(_ parameters: Parameters, session: JSONValue?) throws -> String {
        let (client, redirect): (OAuthClient, String)
        switch try target(parameters) {
        case .errorPage(let url): return url
        case .client(let found, let uri): (client, redirect) = (found, uri)
        }
        let fail = { (error: String, description: String) in errorRedirect(redirect, error, description, state: value("state", parameters)) }

        guard value("response_type", parameters) == "code" else { return fail("unsupported_response_type", "response_type must be code") }
        guard client.grantTypes.contains("authorization_code") else { return fail("unauthorized_client", "this client may not use the authorization code grant") }
        guard let challenge = value("code_challenge", parameters), (43...128).contains(challenge.count) else {
            return fail("invalid_request", "PKCE is required: send code_challenge with code_challenge_method S256")
        }
        guard value("code_challenge_method", parameters) == "S256" else { return fail("invalid_request", "code_challenge_method must be S256") }
        guard let scopes = requestedScopes(parameters) else { return fail("invalid_scope", "the requested scope is not available") }
        let prompts = Set((value("prompt", parameters) ?? "").split(separator: " ").map(String.init))
        guard !prompts.contains("none") || prompts.count == 1 else { return fail("invalid_request", "prompt none cannot be combined") }

        guard let session, let userID = session["user"]?["id"]?.stringValue, !prompts.contains("login") else {
            if prompts.contains("none") { return fail("login_required", "the user is not signed in") }
            return Self.page(settings.loginPage, query: try signedQuery.sign(parameters))
        }
        let consented = try client.skipConsent || consents.covers(userID: userID, clientID: client.clientID, scopes: scopes)
        if prompts.contains("consent") || !consented {
            if prompts.contains("none") { return fail("consent_required", "the user has not granted these scopes") }
            var shown = parameters.filter { $0.name != "scope" }
            shown.append(("scope", OAuthScopes.join(scopes)))
            return Self.page(settings.consentPage, query: try signedQuery.sign(shown, sessionID: session["session"]?["id"]?.stringValue))
        }
        return try codeRedirect(client: client, redirectURI: redirect, scopes: scopes, parameters: parameters, session: session)
    }

    /// `POST /oauth2/consent`: the user's answer on the consent page, for a query signed for
    /// that page and this session only (never the login page's: that would skip `prompt=login`).
    func consent(_ parameters: Parameters, accept: Bool, scope: String?, session: JSONValue) throws -> String {
        guard let shownTo = value("ba_sid", parameters), let sessionID = session["session"]?["id"]?.stringValue,
              ConstantTime.equal(shownTo, sessionID)
        else { throw OAuthFailure(error: "invalid_request", description: "oauth_query was not issued for this session's consent page") }
        let (client, redirect): (OAuthClient, String)
        switch try target(parameters) {
        case .errorPage(let url): return url
        case .client(let found, let uri): (client, redirect) = (found, uri)
        }
        let state = value("state", parameters)
        guard accept else { return errorRedirect(redirect, "access_denied", "the user denied access", state: state) }
        guard let requested = requestedScopes(parameters) else {
            return errorRedirect(redirect, "invalid_scope", "the requested scope is not available", state: state)
        }
        var granted = requested
        if let scope {
            guard let narrowed = OAuthScopes.parse(scope), !narrowed.isEmpty, Set(narrowed).isSubset(of: requested) else {
                throw OAuthFailure.invalidScope("the granted scope must be part of the requested one")
            }
            granted = narrowed
        }
        if let userID = session["user"]?["id"]?.stringValue {
            try consents.record(userID: userID, clientID: client.clientID, scopes: granted)
        }
        return try codeRedirect(client: client, redirectURI: redirect, scopes: granted, parameters: parameters, session: session)
    }

    /// Where the answer may go: the client's registered redirect URI, or Gatehouse's error page.
    private enum Target {
        case client(OAuthClient, redirectURI: String)
        case errorPage(String)
    }

    /// An unknown client or an unregistered redirect URI is never redirected to (RFC 6749 §4.1.2.1).
    private func target(_ parameters: Parameters) throws -> Target {
        guard let clientID = value("client_id", parameters), let client = try clients.client(clientID) else {
            return .errorPage(errorPageURL("invalid_client", "unknown client"))
        }
        guard let redirect = value("redirect_uri", parameters), client.redirectURIs.contains(redirect) else {
            return .errorPage(errorPageURL("invalid_redirect_uri", "the redirect_uri is not registered for this client"))
        }
        return .client(client, redirectURI: redirect)
    }

    /// The requested scopes, nil when one is unknown. Without `scope`, the configured ones but
    /// `offline_access`: a refresh token only for a client that asks for one.
    private func requestedScopes(_ parameters: Parameters) -> [String]? {
        let scopes = value("scope", parameters).map { OAuthScopes.parse($0) } ?? settings.scopes.filter { $0 != "offline_access" }
        guard let scopes, !scopes.isEmpty, Set(scopes).isSubset(of: settings.scopes) else { return nil }
        return scopes
    }

    private func codeRedirect(client: OAuthClient, redirectURI: String, scopes: [String], parameters: Parameters, session: JSONValue) throws -> String {
        guard let userID = session["user"]?["id"]?.stringValue, let sessionID = session["session"]?["id"]?.stringValue,
              let challenge = value("code_challenge", parameters)
        else { throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized") }
        let code = try codes.issue(.init(clientID: client.clientID, redirectURI: redirectURI, scopes: scopes, codeChallenge: challenge,
                                         nonce: value("nonce", parameters), userID: userID, sessionID: sessionID,
                                         authTime: ISODate.parse(session["session"]?["createdAt"]) ?? Date()))
        var url = URLText.setting("code", to: code, in: redirectURI)
        if let state = value("state", parameters) { url = URLText.setting("state", to: state, in: url) }
        return URLText.setting("iss", to: issuer, in: url)
    }

    private func errorRedirect(_ redirectURI: String, _ error: String, _ description: String, state: String?) -> String {
        var url = URLText.setting("error", to: error, in: redirectURI)
        url = URLText.setting("error_description", to: description, in: url)
        if let state { url = URLText.setting("state", to: state, in: url) }
        return URLText.setting("iss", to: issuer, in: url)
    }

    /// The app's page with the signed query, beside any query the page's URL has of its own.
    private static func page(_ url: String, query: String) -> String {
        url + (url.contains("?") ? "&" : "?") + query
    }

    private func errorPageURL(_ error: String, _ description: String) -> String {
        errorPage + "?" + URLText.formEncode([("error", error), ("error_description", description)])
    }

    func value(_ name: String, _ parameters: Parameters) -> String? {
        parameters.first { $0.name == name }.map(\.value).flatMap { $0.isEmpty ? nil : $0 }
    }
}
