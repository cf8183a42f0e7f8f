import Foundation
import GatehouseCrypto
import GatehouseHostABI
import GatehouseJSON
import GatehousePluginABI
import Logging

/// The `gh_host_api` table every plugin receives: one static instance, never freed.
enum HostAPITable {
    /// Immutable after creation, so sharing it across threads is safe.
    nonisolated(unsafe) static let pointer = HostTable.allocate(setFunctions)

    private static func setFunctions(_ api: inout gh_host_api) {
        api.log = { handle, level, message in
            guard let host = PluginHostContext.from(handle) else { return }
            let text = Logger.Message(stringLiteral: ABIBuffers.string(message))
            switch level {
            case GH_LOG_DEBUG: host.logger.debug(text)
            case GH_LOG_WARNING: host.logger.warning(text)
            case GH_LOG_ERROR: host.logger.error(text)
            default: host.logger.info(text)
            }
        }
        api.config = { handle, out in
            guard let host = PluginHostContext.from(handle) else { return GH_ERROR }
            ABIBuffers.fill(out, host.settings.serializedBytes())
            return GH_OK
        }
        api.random_bytes = { _, out, length in
            guard let out else { return length == 0 ? GH_OK : GH_INVALID }
            let bytes = RandomIdentifier.bytes(length)
            bytes.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: length) }
            return GH_OK
        }
        api.hmac = { handle, alg, key, data, out in
            guard let host = PluginHostContext.from(handle), let auth = host.auth else { return GH_ERROR }
            let keyBytes = key.len == 0 ? Array(auth.secret.utf8) : ABIBuffers.bytes(key)
            guard let mac = HashAlgorithm.hmac(alg, key: keyBytes, ABIBuffers.bytes(data)) else { return GH_UNSUPPORTED }
            ABIBuffers.fill(out, mac)
            return GH_OK
        }
        api.encrypt = { handle, plaintext, out in
            guard let auth = PluginHostContext.from(handle)?.auth else { return GH_ERROR }
            ABIBuffers.fill(out, SymmetricEncryption(secret: auth.secret).encrypt(ABIBuffers.bytes(plaintext)))
            return GH_OK
        }
        api.decrypt = { handle, hex, out in
            guard let auth = PluginHostContext.from(handle)?.auth else { return GH_ERROR }
            guard let plaintext = SymmetricEncryption(secret: auth.secret).decrypt(ABIBuffers.string(hex)) else { return GH_INVALID }
            ABIBuffers.fill(out, plaintext)
            return GH_OK
        }
        api.password_hash = { handle, password, out in
            guard let host = PluginHostContext.from(handle), let auth = host.auth else { return GH_ERROR }
            guard PluginThread.isWorker else { return GH_DENIED }
            let text = ABIBuffers.string(password)
            guard let hash = try? host.wait({ try await auth.passwords.hash(text) }) else { return GH_ERROR }
            ABIBuffers.fill(out, hash)
            return GH_OK
        }
        api.password_verify = { handle, password, hash in
            guard let host = PluginHostContext.from(handle), let auth = host.auth else { return GH_ERROR }
            guard PluginThread.isWorker else { return GH_DENIED }
            let (text, stored) = (ABIBuffers.string(password), ABIBuffers.string(hash))
            let valid = (try? host.wait({ await auth.passwords.verify(text, against: stored) })) ?? false
            return valid ? GH_OK : GH_INVALID
        }
        api.sign_value = { handle, value, out in
            guard let auth = PluginHostContext.from(handle)?.auth else { return GH_ERROR }
            ABIBuffers.fill(out, auth.signer.signedValue(ABIBuffers.string(value)))
            return GH_OK
        }
        api.verify_value = { handle, signed, out in
            guard let auth = PluginHostContext.from(handle)?.auth else { return GH_ERROR }
            guard let value = auth.signer.verify(ABIBuffers.string(signed)) else { return GH_INVALID }
            ABIBuffers.fill(out, value)
            return GH_OK
        }
        api.cookie_name = { handle, base, out in
            guard let auth = PluginHostContext.from(handle)?.auth else { return GH_ERROR }
            ABIBuffers.fill(out, auth.cookies.name(ABIBuffers.string(base)))
            return GH_OK
        }
        api.kv_get = { handle, key, out in
            let key = ABIBuffers.string(key)
            let (status, value) = HostAPITable.keyValue(handle) { store, id in try await store.get(id + ":" + key) }
            guard status == GH_OK else { return status }
            guard let value = value ?? nil else { return GH_NOT_FOUND }
            ABIBuffers.fill(out, value)
            return GH_OK
        }
        api.kv_set = { handle, key, value, ttl in
            let (key, value) = (ABIBuffers.string(key), ABIBuffers.bytes(value))
            return HostAPITable.keyValue(handle) { store, id in try await store.set(id + ":" + key, value, ttlSeconds: ttl) }.0
        }
        api.kv_delete = { handle, key in
            let key = ABIBuffers.string(key)
            let (status, removed) = HostAPITable.keyValue(handle) { store, id in try await store.delete(id + ":" + key) }
            return status != GH_OK ? status : (removed == true ? GH_OK : GH_NOT_FOUND)
        }
        api.kv_increment = { handle, key, delta, ttl, out in
            let key = ABIBuffers.string(key)
            let (status, value) = HostAPITable.keyValue(handle) { store, id in try await store.increment(id + ":" + key, by: delta, ttlSeconds: ttl) }
            guard status == GH_OK else { return status }
            guard let value = value ?? nil else { return GH_INVALID }
            out?.pointee = value
            return GH_OK
        }
        api.call = { handle, operation, request, out, outError in
            guard let host = PluginHostContext.from(handle) else { return GH_ERROR }
            return HostOperations.call(host, ABIBuffers.string(operation), ABIBuffers.bytes(request), out, outError)
        }
    }

    /// Runs a key-value operation for the plugin behind `handle`, waiting for the database: from
    /// any thread but a callback declared `"blocking": false` (GH_DENIED there, §4).
    private static func keyValue<T: Sendable>(
        _ handle: OpaquePointer?, _ work: @escaping @Sendable (PluginKeyValueStore, String) async throws -> T
    ) -> (gh_status, T?) {
        guard let host = PluginHostContext.from(handle), let store = host.keyValues else { return (GH_ERROR, nil) }
        do {
            return (GH_OK, try host.wait(anyPluginThread: true) { try await work(store, host.pluginID) })
        } catch is BlockingCallRefused {
            return (GH_DENIED, nil)
        } catch {
            host.logger.error("key-value operation failed", metadata: ["error": "\(error)"])
            return (GH_ERROR, nil)
        }
    }
}
