import Foundation
import GatehouseHostABI
import GatehouseJSON
import GatehousePluginABI

/// The `gh_host_api` table of every fake host; `handle` names the FakeHost. The rules follow
/// docs/plugin-abi.md §10: buffers from `malloc`, `free_buf` = `free`, GH_DENIED for the
/// blocking functions in a callback declared `"blocking": false`.
enum FakeHostAPI {
    nonisolated(unsafe) static let table = HostTable.allocate(setFunctions)

    private static func setFunctions(_ api: inout gh_host_api) {
        api.log = { handle, level, message in
            let level: FakeHost.LogLine.Level = switch level {
            case GH_LOG_DEBUG: .debug
            case GH_LOG_WARNING: .warning
            case GH_LOG_ERROR: .error
            default: .info
            }
            FakeHost.from(handle)?.locked { $0.logs.append(FakeHost.LogLine(level: level, message: ABIBuffers.string(message))) }
        }
        api.config = { handle, out in FakeHostAPI.answer(handle, out) { $0.settings } }
        api.random_bytes = { _, out, length in
            guard let out else { return length == 0 ? GH_OK : GH_INVALID }
            for (i, byte) in FakeCrypto.random(length).enumerated() { out[i] = byte }
            return GH_OK
        }
        api.hmac = { handle, alg, key, data, out in
            FakeHostAPI.answer(handle, out, missing: GH_UNSUPPORTED) { $0.crypto.hmac(alg, key: ABIBuffers.bytes(key), ABIBuffers.bytes(data)) }
        }
        api.encrypt = { handle, plaintext, out in
            FakeHostAPI.answer(handle, out) { Array($0.crypto.encrypt(ABIBuffers.bytes(plaintext)).utf8) }
        }
        api.decrypt = { handle, hex, out in FakeHostAPI.answer(handle, out) { $0.crypto.decrypt(ABIBuffers.string(hex)) } }
        api.password_hash = { handle, password, out in
            FakeHostAPI.answer(handle, out, blocking: true) { Array($0.crypto.hashPassword(ABIBuffers.string(password)).utf8) }
        }
        api.password_verify = { handle, password, hash in
            FakeHostAPI.serve(handle, blocking: true) { $0.crypto.verifyPassword(ABIBuffers.string(password), hash: ABIBuffers.string(hash)) ? GH_OK : GH_INVALID }
        }
        api.sign_value = { handle, value, out in FakeHostAPI.answer(handle, out) { Array($0.crypto.sign(ABIBuffers.string(value)).utf8) } }
        api.verify_value = { handle, signed, out in
            FakeHostAPI.answer(handle, out) { $0.crypto.verify(ABIBuffers.string(signed)).map { Array($0.utf8) } }
        }
        api.cookie_name = { handle, base, out in FakeHostAPI.answer(handle, out) { Array($0.cookieName(ABIBuffers.string(base)).utf8) } }
        api.kv_get = { handle, key, out in
            FakeHostAPI.answer(handle, out, blocking: true, missing: GH_NOT_FOUND) { $0.keyValues.get(ABIBuffers.string(key), now: $0.now) }
        }
        api.kv_set = { handle, key, value, ttl in
            FakeHostAPI.serve(handle, blocking: true) { host in
                host.keyValues.set(ABIBuffers.string(key), ABIBuffers.bytes(value), ttlSeconds: ttl, now: host.now)
                return GH_OK
            }
        }
        api.kv_delete = { handle, key in
            FakeHostAPI.serve(handle, blocking: true) { $0.keyValues.delete(ABIBuffers.string(key), now: $0.now) ? GH_OK : GH_NOT_FOUND }
        }
        api.kv_increment = { handle, key, delta, ttl, out in
            FakeHostAPI.serve(handle, blocking: true) { host in
                guard let value = host.keyValues.increment(ABIBuffers.string(key), by: delta, ttlSeconds: ttl, now: host.now) else { return GH_INVALID }
                out?.pointee = value
                return GH_OK
            }
        }
        api.call = { handle, operation, request, out, outError in
            guard let host = FakeHost.from(handle) else { return GH_ERROR }
            do {
                guard !CallStyle.isNonBlocking else {
                    throw HostFailure(status: GH_DENIED, code: "BLOCKING_CALL_REFUSED",
                                      message: "call is refused in a callback declared \"blocking\": false (docs/plugin-abi.md §4)")
                }
                let bytes = ABIBuffers.bytes(request)
                let input: JSONValue
                do { input = bytes.isEmpty ? [:] : try JSONValue.parse(bytes) } catch {
                    throw HostFailure.invalid("INVALID_JSON", "request is not valid JSON: \(error)")
                }
                ABIBuffers.fill(out, try host.perform(ABIBuffers.string(operation), input).serializedBytes())
                return GH_OK
            } catch let failure as HostFailure {
                let failure = failure.forABIMinor(host.abiMinor)
                ABIBuffers.fill(outError, failure.json.serializedBytes())
                return failure.status
            } catch {
                ABIBuffers.fill(outError, HostFailure.hostError("\(error)").json.serializedBytes())
                return GH_ERROR
            }
        }
    }

    /// Runs `body` for the fake host behind `handle`: GH_ERROR without one, GH_DENIED for a
    /// `blocking` function in a callback declared `"blocking": false`.
    private static func serve(_ handle: OpaquePointer?, blocking: Bool = false, _ body: (FakeHost) -> gh_status) -> gh_status {
        guard let host = FakeHost.from(handle) else { return GH_ERROR }
        guard !(blocking && CallStyle.isNonBlocking) else { return GH_DENIED }
        return body(host)
    }

    /// `serve` for a function that fills `out`: with `body`'s bytes, or answers `missing` for nil.
    private static func answer(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<gh_buf>?, blocking: Bool = false,
                               missing: gh_status = GH_INVALID, _ body: (FakeHost) -> [UInt8]?) -> gh_status {
        FakeHostAPI.serve(handle, blocking: blocking) { host in
            guard let bytes = body(host) else { return missing }
            ABIBuffers.fill(out, bytes)
            return GH_OK
        }
    }
}

extension FakeHost {
    var crypto: FakeCrypto { FakeCrypto(secret: self.secret) }

    /// `session_token` → `better-auth.session_token` (with `__Secure-` for secure cookies).
    func cookieName(_ base: String) -> String {
        (self.secureCookies ? "__Secure-" : "") + "better-auth." + base
    }
}
