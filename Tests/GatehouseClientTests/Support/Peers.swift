import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real server and its peers (Peers/client_peers.py: aiosmtpd, oidc-provider-mock, pyotp,
/// PyJWT), started once for the whole test run and stopped when the test process exits (the
/// script ends when its stdin closes).
final class Peers: Sendable {
    let baseURL: URL
    let control: URL

    private static let started = StartOnce()

    static func shared() async throws -> Peers {
        try await started.peers()
    }

    private actor StartOnce {
        var running: Task<Peers, any Error>?

        func peers() async throws -> Peers {
            if let running { return try await running.value }
            let task = Task { try Peers.launch() }
            running = task
            return try await task.value
        }
    }

    private init(baseURL: URL, control: URL) {
        self.baseURL = baseURL
        self.control = control
    }

    /// `swift build` puts the gatehouse binary and the plugin libraries beside the test bundle.
    private static func launch() throws -> Peers {
        let buildDirectory = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
            .resolvingSymlinksInPath().deletingLastPathComponent()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Peers/client_peers.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, buildDirectory.appendingPathComponent("gatehouse").path, buildDirectory.path]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // The write end stays open for the life of the test process: its end is the peers' end.
        keepAlive.append(input)
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        struct Started: Decodable {
            var baseURL: String
            var control: String
        }
        guard let started = try? JSONDecoder().decode(Started.self, from: line), let baseURL = URL(string: started.baseURL),
            let control = URL(string: started.control)
        else { throw PeerError("the peers did not start: \(String(decoding: line, as: UTF8.self))") }
        return Peers(baseURL: baseURL, control: control)
    }

    nonisolated(unsafe) private static var keepAlive: [Pipe] = []

    // MARK: the control API

    struct Mail: Decodable {
        var subject: String
        var text: String
    }

    /// The newest mail to `address` (containing `text`), waiting for it.
    func mail(to address: String, containing text: String? = nil) async throws -> Mail {
        var query = ["to": address]
        query["contains"] = text
        return try await get("/mail", query)
    }

    /// A new subject at the OpenID provider with this e-mail.
    func providerUser(email: String, name: String = "Social User") async throws -> String {
        struct Sub: Decodable { var sub: String }
        return try await post("/idp/users", ["email": email, "name": name], as: Sub.self).sub
    }

    func idToken(sub: String, nonce: String?) async throws -> String {
        struct Token: Decodable { var idToken: String }
        var body = ["sub": sub]
        body["nonce"] = nonce
        return try await post("/idp/id-token", body, as: Token.self).idToken
    }

    struct BrowserVisit: Decodable {
        var location: String
        var stateCookieSeen: Bool
    }

    /// A browser that shares nothing with the app opens `url` and consents as `sub`.
    func browse(_ url: URL, sub: String, deny: Bool = false) async throws -> BrowserVisit {
        try await post("/browser", ["url": url.absoluteString, "sub": sub, "deny": deny ? "1" : ""], as: BrowserVisit.self)
    }

    func totp(secret: String, offset: Int = 0) async throws -> String {
        struct Code: Decodable { var code: String }
        return try await get("/totp", ["secret": secret, "offset": String(offset)], as: Code.self).code
    }

    struct Claims: Decodable {
        var sub: String
        var exp: Double
        var email: String?
    }

    /// PyJWT's verdict on a JWT against the server's /jwks, issuer and audience.
    func verifyJWT(_ token: String) async throws -> Claims {
        struct Verified: Decodable { var claims: Claims }
        return try await post("/jwt/verify", ["token": token], as: Verified.self).claims
    }

    private func get<T: Decodable>(_ path: String, _ query: [String: String], as type: T.Type = T.self) async throws -> T {
        var components = URLComponents(url: control.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        components.queryItems = query.map { URLQueryItem(name: $0.key, value: $0.value) }
        return try await exchange(URLRequest(url: components.url!))
    }

    private func post<T: Decodable>(_ path: String, _ body: [String: String], as type: T.Type) async throws -> T {
        var request = URLRequest(url: control.appendingPathComponent(path))
        request.httpMethod = "POST"
        request.httpBody = try JSONEncoder().encode(body)
        return try await exchange(request)
    }

    private func exchange<T: Decodable>(_ request: URLRequest) async throws -> T {
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw PeerError("\(request.url!.path): \(String(decoding: data, as: UTF8.self))")
        }
        return try JSONDecoder().decode(T.self, from: data)
    }
}

struct PeerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
