import Crypto
import Foundation
import GatehouseCrypto
import GatehouseJSON
import GatehouseStorage

/// The `session_data` cookie cache, compact strategy: `base64url(JSON{session: payload,
/// expiresAt, signature})` where the signature is HMAC-SHA256 over `JSON{...payload, expiresAt}`.
/// Payload key order is kept, so caches written by Better Auth verify too.
struct CookieCache {
    let auth: AuthContext
    /// Browsers cap a cookie near 4 KB; longer values are split into `.0`, `.1`, … chunks.
    static let chunkSize = 3900

    /// The cookie(s) to set for `session`.
    func cookies(for session: AuthSession) -> [(String, String)] {
        let expiresAt = (Date().timeIntervalSince1970 * 1000).rounded(.down) + Double(auth.config.session.cookieCacheMaxAge) * 1000
        var payload: JSONValue = [
            "session": auth.output("session", session.session), "user": auth.output("user", session.user),
            "updatedAt": .number(Double(Int64(Date().timeIntervalSince1970 * 1000))), "version": "1",
        ]
        let signature = sign(payload, expiresAt: expiresAt)
        payload = ["session": payload, "expiresAt": .number(expiresAt), "signature": .string(signature)]
        let value = Base64.url(payload.serializedBytes())
        let name = auth.cookies.sessionData
        guard value.utf8.count > Self.chunkSize else { return [(name, value)] }
        var chunks: [(String, String)] = []
        var rest = Substring(value)
        while !rest.isEmpty {
            chunks.append(("\(name).\(chunks.count)", String(rest.prefix(Self.chunkSize))))
            rest = rest.dropFirst(Self.chunkSize)
        }
        return chunks
    }

    /// The cached session if the cookie is genuine, unexpired and for `token`.
    func session(from cookies: [String: String], token: String) -> AuthSession? {
        let name = auth.cookies.sessionData
        var value = cookies[name]
        if value == nil {
            var parts: [String] = []
            while let part = cookies["\(name).\(parts.count)"] { parts.append(part) }
            value = parts.isEmpty ? nil : parts.joined()
        }
        guard let value, let bytes = Base64.decode(value), let document = try? JSONValue.parse(bytes),
            let payload = document["session"], let expiresAt = document["expiresAt"]?.doubleValue,
            let signature = document["signature"]?.stringValue,
            ConstantTime.equals(sign(payload, expiresAt: expiresAt), signature),
            expiresAt > Date().timeIntervalSince1970 * 1000, payload["version"]?.stringValue == "1",
            let sessionJSON = payload["session"], let userJSON = payload["user"],
            sessionJSON["token"]?.stringValue == token
        else { return nil }
        let session = record("session", sessionJSON)
        guard let expires = session.date("expiresAt"), expires > Date() else { return nil }
        return AuthSession(session: session, user: record("user", userJSON))
    }

    /// `expiresAt` stays a double: it comes from the client's cookie when verifying.
    private func sign(_ payload: JSONValue, expiresAt: Double) -> String {
        var signed = payload.objectValue ?? [:]
        signed["expiresAt"] = .number(expiresAt)
        let mac = HMAC<SHA256>.authenticationCode(for: JSONValue.object(signed).serializedBytes(),
                                                  using: SymmetricKey(data: Array(auth.secret.utf8)))
        return Base64.url(mac)
    }

    private func record(_ table: String, _ json: JSONValue) -> Record {
        var record = Record()
        guard let fields = auth.schema.table(table)?.fields, let members = json.objectValue else { return record }
        for (name, value) in members {
            guard let field = fields[name] else { continue }
            record[name] = switch (field.type, value) {
            case (_, .null): .null
            case (.date, .string(let s)): ISOTimestamp.parse(s).map(DBValue.date) ?? .null
            case (_, .string(let s)): .string(s)
            case (_, .bool(let b)): .bool(b)
            case (_, .number(let n)): .number(n)
            default: .json(value)
            }
        }
        return record
    }
}
