import Foundation
import GatehouseJSON
import PluginKit

/// The `jwks` table: the newest unexpired key signs; keys stay published until their grace
/// period after expiry ends. Decrypted private keys are kept in memory by key id.
final class SigningKeys: @unchecked Sendable {
    struct Key {
        let id: String
        let alg: String
        let privateJWK: JSONValue
    }

    private let host: PluginHost
    let alg: String
    private let rotationInterval: Int?
    private let gracePeriod: Int
    private let lock = NSLock()
    private var decrypted: [String: Key] = [:]

    init(host: PluginHost, alg: String, rotationInterval: Int?, gracePeriod: Int) {
        self.host = host
        self.alg = alg
        self.rotationInterval = rotationInterval
        self.gracePeriod = gracePeriod
    }

    /// The key to sign with, created on first use and replaced once expired (rotation).
    func current() throws -> Key {
        let rows = try host.call("db.findMany", ["table": "jwks", "orderBy": ["field": "createdAt", "direction": "desc"], "limit": 10])
        let now = Date()
        let usable = rows["rows"]?.arrayValue?.first { row in
            row["alg"]?.stringValue == alg && (expiry(row).map { $0 > now } ?? true)
        }
        if let row = usable, let id = row["id"]?.stringValue {
            if let cached = lock.withLock({ decrypted[id] }) { return cached }
            guard let sealed = row["privateKey"]?.stringValue, let json = host.decrypt(sealed), let jwk = try? JSONValue.parse(json) else {
                throw PluginError(status: 500, code: "JWT_SIGNING_FAILED", message: "the signing key cannot be decrypted (was the secret changed?)")
            }
            let key = Key(id: id, alg: alg, privateJWK: jwk)
            lock.withLock { decrypted[id] = key }
            return key
        }
        return try create()
    }

    /// Public JWKs with `kid` and `alg` for every key still valid or within its grace period. Never
    /// empty: the first key is made on the first request, as Better Auth does, so a relying party
    /// that reads the JWKS before any token was signed still finds one.
    func publishable() throws -> [JSONValue] {
        let published = try published()
        if published.isEmpty || !published.contains(where: { $0["alg"]?.stringValue == alg }) {
            _ = try current()
            return try self.published()
        }
        return published
    }

    /// The header and payload of a compact JWS that one of the published keys signed.
    func verify(_ token: String) throws -> (header: JSONValue, payload: JSONValue)? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(String(parts[0])), let payloadBytes = Base64URL.decode(String(parts[1])),
              let header = try? JSONValue.parse(String(decoding: headerBytes, as: UTF8.self)),
              let payload = try? JSONValue.parse(String(decoding: payloadBytes, as: UTF8.self)), payload.objectValue != nil,
              let kid = header["kid"]?.stringValue, let alg = header["alg"]?.stringValue,
              let jwk = try published().first(where: { $0["kid"]?.stringValue == kid && $0["alg"]?.stringValue == alg })
        else { return nil }
        let answer = try host.call("signature.verify", ["alg": .string(alg), "jwk": jwk, "data": .string(Base64URL.encode(Array("\(parts[0]).\(parts[1])".utf8))),
                                                        "signature": .string(String(parts[2]))])
        return answer["valid"]?.boolValue == true ? (header, payload) : nil
    }

    private func published() throws -> [JSONValue] {
        let rows = try host.call("db.findMany", ["table": "jwks", "orderBy": ["field": "createdAt", "direction": "desc"]])
        let cutoff = Date().addingTimeInterval(-TimeInterval(gracePeriod))
        return (rows["rows"]?.arrayValue ?? []).compactMap { row in
            guard expiry(row).map({ $0 > cutoff }) ?? true, let text = row["publicKey"]?.stringValue,
                var jwk = (try? JSONValue.parse(text))?.objectValue
            else { return nil }
            jwk["kid"] = row["id"] ?? .null
            jwk["alg"] = row["alg"] ?? .string(alg)
            return .object(jwk)
        }
    }

    private func create() throws -> Key {
        let pair = try host.call("keys.generate", ["alg": .string(alg)])
        guard let publicJWK = pair["publicJwk"], let privateJWK = pair["privateJwk"], let sealed = host.encrypt(privateJWK.serialized()) else {
            throw PluginError(status: 500, code: "JWT_SIGNING_FAILED", message: "could not create a signing key")
        }
        var data: [String: JSONValue] = ["publicKey": .string(publicJWK.serialized()), "privateKey": .string(sealed), "alg": .string(alg)]
        if let crv = publicJWK["crv"] { data["crv"] = crv }
        if let rotationInterval {
            data["expiresAt"] = .string(ISO8601DateFormatter().string(from: Date().addingTimeInterval(TimeInterval(rotationInterval))))
        }
        let row = try host.call("db.create", ["table": "jwks", "data": .object(.init(uniqueKeysWithValues: data.sorted { $0.key < $1.key }))])
        guard let id = row["row"]?["id"]?.stringValue else { throw PluginError(status: 500, code: "JWT_SIGNING_FAILED", message: "could not store the key") }
        host.log(.info, "created JWT signing key \(id) (\(alg))")
        let key = Key(id: id, alg: alg, privateJWK: privateJWK)
        lock.withLock { decrypted[id] = key }
        return key
    }

    private func expiry(_ row: JSONValue) -> Date? {
        row["expiresAt"]?.stringValue.flatMap { ISO8601DateFormatter.withFractions.date(from: $0) }
    }
}

extension ISO8601DateFormatter {
    /// Parses the host's `2025-01-01T00:00:00.000Z` timestamps.
    nonisolated(unsafe) static let withFractions: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()
}
