import Foundation
import GatehouseJSON
import GatehousePluginABI

/// Typed access to the host's function table (`gh_host_api`). Every call is synchronous and
/// thread-safe; host-allocated answers are copied and released here.
public struct PluginHost: @unchecked Sendable {
    private let api: UnsafePointer<gh_host_api>
    private let handle: OpaquePointer?

    /// PluginKitTesting's fake host makes one over its own table.
    @_spi(PluginKitTesting) public init(api: UnsafePointer<gh_host_api>, handle: OpaquePointer?) {
        self.api = api
        self.handle = handle
    }

    public enum LogLevel { case debug, info, warning, error }

    public func log(_ level: LogLevel, _ message: String) {
        let raw: gh_log_level = switch level {
        case .debug: GH_LOG_DEBUG
        case .info: GH_LOG_INFO
        case .warning: GH_LOG_WARNING
        case .error: GH_LOG_ERROR
        }
        Self.lend(message) { api.pointee.log(handle, raw, $0) }
    }

    public func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        _ = out.withUnsafeMutableBufferPointer { api.pointee.random_bytes(handle, $0.baseAddress, count) }
        return out
    }

    /// `count` characters drawn uniformly from `alphabet` (rejection sampling on random bytes).
    public func randomText(_ count: Int, alphabet: String) -> String {
        let symbols = Array(alphabet)
        let limit = 256 - 256 % symbols.count
        var out = ""
        while out.count < count {
            for byte in randomBytes(count * 2) where Int(byte) < limit && out.count < count {
                out.append(symbols[Int(byte) % symbols.count])
            }
        }
        return out
    }

    public enum HashAlgorithm {
        case sha256, sha384, sha512
        /// Only for protocols that require it, such as TOTP.
        case sha1

        var raw: gh_hash_alg {
            switch self {
            case .sha256: GH_HASH_SHA256
            case .sha384: GH_HASH_SHA384
            case .sha512: GH_HASH_SHA512
            case .sha1: GH_HASH_SHA1
            }
        }
    }

    /// The raw digest of `data`.
    public func hash(_ algorithm: HashAlgorithm, _ data: [UInt8]) -> [UInt8]? {
        take { out in Self.lend(data) { d in api.pointee.hash(handle, algorithm.raw, d, out) } }
    }

    /// Better Auth's `defaultKeyHasher`: the unpadded base64url of SHA-256(`text`), the form in
    /// which its plugins store tokens and codes with `storeToken`/`storeOTP: "hashed"`.
    public func hashedKey(_ text: String) throws -> String {
        guard let digest = hash(.sha256, Array(text.utf8)) else {
            throw PluginError(status: 500, code: "HOST_ERROR", message: "the host could not hash a key")
        }
        return Base64URL.encode(digest)
    }

    /// HMAC of `data`; an empty key means the server secret.
    public func hmac(_ algorithm: HashAlgorithm, key: [UInt8], _ data: [UInt8]) -> [UInt8]? {
        take { out in Self.lend(key) { k in Self.lend(data) { d in api.pointee.hmac(handle, algorithm.raw, k, d, out) } } }
    }

    public func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8]? { hmac(.sha256, key: key, data) }

    /// Whether `password` matches a stored hash (scrypt or argon2id). Blocks while hashing, so
    /// it works only in blocking callbacks; elsewhere it answers false.
    public func verifyPassword(_ password: String, hash: String) -> Bool {
        Self.lend(password) { p in Self.lend(hash) { h in api.pointee.password_verify(handle, p, h) } } == GH_OK
    }

    public func encrypt(_ plaintext: String) -> String? {
        take { out in Self.lend(plaintext) { api.pointee.encrypt(handle, $0, out) } }.map { String(decoding: $0, as: UTF8.self) }
    }

    public func decrypt(_ hex: String) -> String? {
        take { out in Self.lend(hex) { api.pointee.decrypt(handle, $0, out) } }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// `value.signature` as Better Auth signs cookies.
    public func sign(_ value: String) -> String? {
        take { out in Self.lend(value) { api.pointee.sign_value(handle, $0, out) } }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The value of a genuine `value.signature`, else nil.
    public func verify(_ signed: String) -> String? {
        take { out in Self.lend(signed) { api.pointee.verify_value(handle, $0, out) } }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The full name of a cookie (`session_token` → `better-auth.session_token`, `__Secure-` on https).
    public func cookieName(_ base: String) -> String {
        take { out in Self.lend(base) { api.pointee.cookie_name(handle, $0, out) } }.map { String(decoding: $0, as: UTF8.self) } ?? base
    }

    public func kvGet(_ key: String) -> String? {
        take { out in Self.lend(key) { api.pointee.kv_get(handle, $0, out) } }.map { String(decoding: $0, as: UTF8.self) }
    }

    public func kvSet(_ key: String, _ value: String, ttlSeconds: Int64 = 0) {
        _ = Self.lend(key) { k in Self.lend(value) { v in api.pointee.kv_set(handle, k, v, ttlSeconds) } }
    }

    /// The caller's live `{session, user}`: from the envelope when the host resolved it, else from
    /// the session cookie (for `auth: none` routes that serve signed-in and anonymous callers).
    /// A blocking call (§4).
    public func session(of call: PluginCall) throws -> JSONValue? {
        if let session = call.session { return session }
        guard let cookie = call.cookie(cookieName("session_token")), let token = verify(cookie),
              let found = try self.call("sessions.find", ["token": .string(token)])["session"]?.nonNull,
              let expiresAt = ISODate.parse(found["session"]?["expiresAt"]), expiresAt > Date()
        else { return nil }
        return found
    }

    /// Calls a host operation from the catalogue (docs/plugin-abi.md).
    public func call(_ operation: String, _ request: JSONValue) throws -> JSONValue {
        var out = gh_buf(ptr: nil, len: 0)
        var error = gh_buf(ptr: nil, len: 0)
        let status = Self.lend(operation) { op in Self.lend(request.serialized()) { req in api.pointee.call(handle, op, req, &out, &error) } }
        defer {
            api.pointee.free_buf(out)
            api.pointee.free_buf(error)
        }
        guard status == GH_OK else {
            let detail = Self.copy(error).flatMap { try? JSONValue.parse($0) }
            // `status` is there when the error stands for an answer's own (a service's refusal).
            var failure = PluginError(status: detail?["status"]?.intValue ?? 500, code: detail?["code"]?.stringValue ?? "HOST_ERROR",
                                      message: detail?["message"]?.stringValue ?? "host operation \(operation) failed")
            failure.detail = detail
            throw failure
        }
        return try Self.copy(out).map { try JSONValue.parse($0) } ?? .null
    }

    private func take(_ body: (UnsafeMutablePointer<gh_buf>) -> gh_status) -> [UInt8]? {
        var out = gh_buf(ptr: nil, len: 0)
        let status = body(&out)
        defer { api.pointee.free_buf(out) }
        return status == GH_OK ? Self.copy(out) ?? [] : nil
    }

    static func copy(_ buf: gh_buf) -> [UInt8]? {
        guard let ptr = buf.ptr else { return nil }
        return Array(UnsafeBufferPointer(start: ptr, count: buf.len))
    }

    static func lend<T>(_ text: String, _ body: (gh_bytes) -> T) -> T { lend(Array(text.utf8), body) }

    static func lend<T>(_ bytes: [UInt8], _ body: (gh_bytes) -> T) -> T {
        bytes.withUnsafeBufferPointer { body(gh_bytes(ptr: $0.baseAddress, len: $0.count)) }
    }
}
