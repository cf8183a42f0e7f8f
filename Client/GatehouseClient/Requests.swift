import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One answer of the server, 2xx only (the others are thrown).
struct Answer: Sendable {
    let data: Data
    let response: HTTPURLResponse
    /// The session token the request carried (nil: none).
    let sentToken: String?

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try WireJSON.decoder().decode(T.self, from: data)
        } catch {
            throw GatehouseError(status: response.statusCode, code: "INVALID_RESPONSE", message: "The answer could not be decoded as \(T.self): \(error)")
        }
    }
}

extension GatehouseClient {
    /// Calls `basePath + path` with the client's credentials, keeps the credentials a 2xx answer
    /// sets (`set-auth-token`, the two-factor cookies) and throws `GatehouseError` for any other.
    /// Only GETs are retried (transport errors, 502/503/504), twice at most.
    func send(_ method: HTTPMethod, _ path: String, query: [String: String] = [:], body: Data? = nil) async throws -> Answer {
        let token = sessionToken
        let request = try makeRequest(method, path, query: query, body: body, token: token)
        let (data, response) = try await deliver(request, retrying: method == .get)
        guard (200..<300).contains(response.statusCode) else {
            if response.statusCode == 401, token != nil, token == sessionToken {
                await checkSessionAfterRefusal(path: path)
            }
            throw GatehouseError(status: response.statusCode, body: data)
        }
        try keepCredentials(from: response, sentWith: token)
        return Answer(data: data, response: response, sentToken: token)
    }

    /// A 401 for a call with the stored token: the session may be gone (revoked on another
    /// device, expired, user deleted) or the call refused something else (a wrong code). A
    /// get-session for the same token tells which: its `null`, or its own 401, ends the session
    /// here (`getSession` and `send` do that).
    private func checkSessionAfterRefusal(path: String) async {
        if path == "/get-session" {
            forgetSession()
        } else {
            _ = try? await getSession()
        }
    }

    /// `baseURL + basePath + path`, with `query` form-encoded (in key order).
    func endpointURL(_ path: String, query: [String: String] = [:]) throws -> URL {
        let root = baseURL.absoluteString.hasSuffix("/") ? String(baseURL.absoluteString.dropLast()) : baseURL.absoluteString
        var pathCharacters = CharacterSet.urlPathAllowed
        pathCharacters.insert("%")  // a path the caller has percent-encoded already stays as it is
        let segments = (basePath + "/" + path).split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: pathCharacters) ?? "" }
        var text = root + segments.map { "/" + $0 }.joined()
        if !query.isEmpty {
            text += "?" + query.sorted { $0.key < $1.key }.map { Self.formEncode($0.key) + "=" + Self.formEncode($0.value) }.joined(separator: "&")
        }
        guard let url = URL(string: text) else {
            throw GatehouseError(status: 0, code: "INVALID_PATH", message: "Not a URL path: \(path)")
        }
        return url
    }

    private func makeRequest(_ method: HTTPMethod, _ path: String, query: [String: String], body: Data?, token: String?) throws -> URLRequest {
        let url = try endpointURL(path, query: query)
        var request = URLRequest(url: url)
        request.httpMethod = method.rawValue
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        // The two-factor cookies go back only to the routes that read them, with the Origin the
        // server's origin check asks of any state-changing request that carries cookies.
        let cookies = [twoFactorCookie, trustDeviceCookie].compactMap { $0 }
        if !cookies.isEmpty, path.hasPrefix("/sign-in/") || path.hasPrefix("/two-factor/") {
            request.setValue(cookies.joined(separator: "; "), forHTTPHeaderField: "Cookie")
            if let origin = Self.origin(of: baseURL) { request.setValue(origin, forHTTPHeaderField: "Origin") }
        }
        return request
    }

    private func deliver(_ request: URLRequest, retrying: Bool) async throws -> (Data, HTTPURLResponse) {
        let pauses: [UInt64] = retrying ? [200_000_000, 600_000_000] : []
        for pause in pauses {
            do {
                let (data, response) = try await transport.send(request)
                if ![502, 503, 504].contains(response.statusCode) { return (data, response) }
            } catch let error as URLError where error.code != .cancelled {
                // A transport failure of an idempotent call: try again after the pause.
            }
            try await Task.sleep(nanoseconds: pause)
        }
        return try await transport.send(request)
    }

    /// `set-auth-token` (the bearer plugin) and the two-factor plugin's cookies. A token is kept
    /// only if no sign-in or sign-out has changed the session while the call was under way.
    private func keepCredentials(from response: HTTPURLResponse, sentWith sent: String?) throws {
        if let token = response.value(forHTTPHeaderField: "set-auth-token"), !token.isEmpty, token != sessionToken, sent == sessionToken {
            try replaceToken(token)
        }
        guard let header = response.value(forHTTPHeaderField: "Set-Cookie"), let url = response.url else { return }
        for cookie in HTTPCookie.cookies(withResponseHeaderFields: ["Set-Cookie": header], for: url) {
            let expired = cookie.value.isEmpty || (cookie.expiresDate.map { $0 <= Date() } ?? false)
            let pair = expired ? nil : "\(cookie.name)=\(cookie.value)"
            if cookie.name.hasSuffix(".two_factor") || cookie.name == "two_factor" {
                twoFactorCookie = pair
            } else if cookie.name.hasSuffix(".trust_device") || cookie.name == "trust_device" {
                trustDeviceCookie = pair
                if let pair { try storage.set(StoreKey.trustDevice, pair) } else { try storage.remove(StoreKey.trustDevice) }
            }
        }
    }

    /// `scheme://host[:port]` of the server.
    static func origin(of url: URL) -> String? {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: false), let scheme = components.scheme,
            let host = components.host
        else { return nil }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    /// Percent-encoding for a query component: everything but RFC 3986's unreserved characters
    /// (so `+`, `&` and `=` in a value stay data).
    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
