import Foundation
import GatehouseJSON
import PluginKit

/// Better Auth's jwt plugin: `GET /token` (a short-lived JWT for the signed-in user), `GET /jwks`
/// (public keys for resource servers) and a `set-auth-jwt` header on get-session. Keys live in
/// the `jwks` table, private halves encrypted with the server secret; signing is done by the
/// host's crypto, so this plugin carries no crypto library of its own. Other plugins sign and
/// verify with the same keys through its services (the oauth-provider's ID tokens).
struct JWTPlugin: GatehousePlugin {
    static let id = "jwt"
    static let version = "1.0.0"
    static let name = "JWT and JWKS"
    static let manifest: JSONValue = [
        "endpoints": [
            ["method": "GET", "path": "/token", "auth": "session", "summary": "A JWT for the signed-in user", "envelope": ["session"]],
            ["method": "GET", "path": "/jwks", "summary": "The public keys that verify Gatehouse JWTs", "envelope": []],
        ],
        // get-session is the hottest route: send this hook only the answer it reads.
        "hooks": ["after": [["matcher": "/get-session", "envelope": ["response"]]]],
        "schema": ["tables": [[
            "name": "jwks",
            "fields": [
                ["name": "publicKey", "type": "string"],
                ["name": "privateKey", "type": "string"],
                ["name": "createdAt", "type": "date", "defaultValue": "now"],
                ["name": "expiresAt", "type": "date", "required": false],
                ["name": "alg", "type": "string", "required": false],
                ["name": "crv", "type": "string", "required": false],
            ],
        ]]],
        "errorCodes": ["JWT_SIGNING_FAILED": "Could not sign a token", "INVALID_TOKEN": "Invalid token"],
        // `sign {payload}` → `{token, kid, alg}` with the current key; `verify {token}` →
        // `{header, payload}` when a published key signed it (claims are the caller's to check);
        // `algorithm {}` → `{alg}`, the algorithm new tokens are signed with.
        "services": ["sign", "verify", "algorithm"],
    ]

    let host: PluginHost
    let keys: SigningKeys
    let issuer: String
    let audience: String
    let expiresIn: Int
    /// How long the host may hand the same get-session answer the same JWT (ABI 1.9 `reuseFor`):
    /// a tenth of its lifetime, at most a minute (and never past the keys' grace period), so a
    /// reused token always has most of its life left. Any change to the user or the session is a
    /// new answer, hence a new token.
    let reuseSeconds: Int

    init(host: PluginHost, settings: JSONValue) throws {
        self.host = host
        let alg = settings["jwks"]?["keyPairConfig"]?["alg"]?.stringValue ?? "EdDSA"
        guard ["EdDSA", "ES256", "RS256"].contains(alg) else {
            throw PluginError(code: "INVALID_SETTING", message: "plugins.jwt.jwks.keyPairConfig.alg must be EdDSA, ES256 or RS256, got \(alg)")
        }
        let origin = try host.call("host.info", [:])["baseURL"]?.stringValue ?? ""
        issuer = settings["jwt"]?["issuer"]?.stringValue ?? origin
        audience = settings["jwt"]?["audience"]?.stringValue ?? origin
        expiresIn = settings["jwt"]?["expirationTime"]?.intValue ?? 900
        let gracePeriod = settings["jwks"]?["gracePeriod"]?.intValue ?? 30 * 86_400
        // Never past the grace period either: a reused token's key must still be published.
        reuseSeconds = max(0, min(60, expiresIn / 10, gracePeriod))
        keys = SigningKeys(host: host, alg: alg, rotationInterval: settings["jwks"]?["rotationInterval"]?.intValue,
                           gracePeriod: gracePeriod)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .endpoint(0):
            guard let user = call.session?["user"] else { return .error(status: 401, code: "UNAUTHORIZED", message: "Unauthorized") }
            return .json(["token": .string(try token(for: user))])
        case .endpoint(1):
            return .json(["keys": .array(try keys.publishable())])
        case .service(0):
            guard let payload = call.envelope["request"]?["payload"], payload.objectValue != nil else {
                throw PluginError(code: "MISSING_FIELD", message: "sign needs a payload object")
            }
            let key = try keys.current()
            return .result(["token": .string(try sign(payload, with: key)), "kid": .string(key.id), "alg": .string(key.alg)])
        case .service(1):
            guard let token = call.envelope["request"]?["token"]?.stringValue, let verified = try keys.verify(token) else {
                throw PluginError(code: "INVALID_TOKEN", message: "Invalid token")
            }
            return .result(["header": verified.header, "payload": verified.payload])
        case .service(2):
            return .result(["alg": .string(keys.alg)])
        case .afterHook:
            // get-session answered with a session: hand out a JWT for it too, the same one while
            // the answer stays the same (signing one per request would cost more than the route).
            guard let user = call.response?["body"]?["user"], user.objectValue != nil else { return .keep }
            let answer = PluginAnswer.keep.header("set-auth-jwt", try token(for: user)).header("access-control-expose-headers", "set-auth-jwt")
            return reuseSeconds > 0 ? answer.reusable(for: reuseSeconds) : answer
        default:
            return .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
    }

    /// The user object as payload, with `sub`, `iss`, `aud`, `iat` and `exp` (Better Auth's default).
    private func token(for user: JSONValue) throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        var payload = user.objectValue ?? [:]
        payload["sub"] = user["id"] ?? .null
        payload["iss"] = .string(issuer)
        payload["aud"] = .string(audience)
        payload["iat"] = .int(now)
        payload["exp"] = .int(now + expiresIn)
        return try sign(.object(payload), with: try keys.current())
    }

    private func sign(_ payload: JSONValue, with key: SigningKeys.Key) throws -> String {
        guard let token = try host.call("jwt.sign", ["alg": .string(key.alg), "kid": .string(key.id), "privateJwk": key.privateJWK,
                                                     "payload": payload])["token"]?.stringValue
        else { throw PluginError(status: 500, code: "JWT_SIGNING_FAILED", message: "Could not sign a token") }
        return token
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: JWTPlugin.self) }
