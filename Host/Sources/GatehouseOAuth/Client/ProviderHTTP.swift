import AsyncHTTPClient
import Foundation
import GatehouseCrypto
import GatehouseJSON
import NIOCore
import NIOHTTP1

/// A provider could not be reached or answered something unusable. Callers turn this into
/// Better Auth's error redirects or 4xx answers; it never escapes as a 500.
public struct ProviderFailure: Error, CustomStringConvertible, Sendable {
    /// OAuth's `error` value when the provider sent one (e.g. `invalid_grant`).
    public let oauthError: String?
    public let description: String

    public init(_ description: String, oauthError: String? = nil) {
        self.description = description
        self.oauthError = oauthError
    }
}

/// Outbound calls to identity providers on async-http-client's shared client, with a
/// timeout and a cap on the answer's size.
enum ProviderHTTP {
    static let timeout: TimeAmount = .seconds(10)
    static let maxResponseBytes = 1 << 20

    struct Answer {
        let status: Int
        let body: JSONValue?
        let text: String
    }

    static func get(_ url: String, headers: [(String, String)] = []) async throws -> Answer {
        try await send(HTTPClientRequest(url: url), headers: headers)
    }

    /// A form POST (`application/x-www-form-urlencoded`), as token endpoints expect.
    static func postForm(_ url: String, form: [(String, String)], headers: [(String, String)] = []) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        let body = form.map { URIComponent.encode($0.0) + "=" + URIComponent.encode($0.1) }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request, headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers)
    }

    /// GET that must answer 200 with a JSON object.
    static func getJSON(_ url: String, headers: [(String, String)] = []) async throws -> JSONValue {
        let answer = try await get(url, headers: headers)
        guard answer.status == 200, let body = answer.body, body.objectValue != nil || body.arrayValue != nil else {
            throw ProviderFailure("\(url) answered \(answer.status)")
        }
        return body
    }

    private static func send(_ request: HTTPClientRequest, headers: [(String, String)]) async throws -> Answer {
        var request = request
        guard let scheme = URL(string: request.url)?.scheme?.lowercased(), scheme == "https" || scheme == "http" else {
            throw ProviderFailure("not an http(s) URL: \(request.url)")
        }
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Gatehouse")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: maxResponseBytes)
            let text = String(buffer: bytes)
            return Answer(status: Int(response.status.code), body: try? JSONValue.parse(Array(text.utf8)), text: text)
        } catch let failure as ProviderFailure {
            throw failure
        } catch {
            throw ProviderFailure("\(request.method.rawValue) \(request.url) failed: \(error)")
        }
    }
}
