import Foundation
import GatehouseStorage

/// The key-value store plugins get through the host table (`kv_get`, `kv_set`, `kv_delete`,
/// `kv_increment`), in the database's `gatehouseKeyValue` table: shared by every instance on the
/// database, kept across restarts and reloads, with time-to-live. Keys are namespaced by plugin
/// id; values are bytes, stored base64-encoded.
struct PluginKeyValueStore {
    static let table = TableSchema(name: "gatehouseKeyValue", fields: [
        Field("key", .string, unique: true),
        Field("value", .string),
        Field("expiresAt", .date, required: false),
    ])

    let database: any Database
    let adapter: Adapter

    /// Runs `body` in a transaction that holds the key's lock on every instance.
    private func locked<T: Sendable>(_ key: String, _ body: @escaping @Sendable (Adapter) async throws -> T) async throws -> T {
        try await database.transaction { tx in
            let adapter = self.adapter.using(tx)
            try await adapter.serialize(on: "kv:" + key)
            return try await body(adapter)
        }
    }

    func get(_ key: String) async throws -> [UInt8]? {
        guard let row = try await live(key) else { return nil }
        return Self.bytes(of: row)
    }

    func set(_ key: String, _ value: [UInt8], ttlSeconds: Int64) async throws {
        try await locked(key) { adapter in
            try await adapter.delete(Self.table.name, where: [Condition("key", .eq, .string(key))])
            try await adapter.create(Self.table.name, ["key": .string(key), "value": Self.stored(value),
                                                       "expiresAt": Self.expiry(ttlSeconds)])
        }
    }

    func delete(_ key: String) async throws -> Bool {
        let removed = try await adapter.delete(Self.table.name, where: [Condition("key", .eq, .string(key))])
        return removed.contains { !Self.isExpired($0) }
    }

    /// Adds `delta` to the integer at `key` (missing or expired counts as 0 and gets `ttlSeconds`;
    /// a live key keeps its expiry); nil when the stored value is not a decimal integer.
    func increment(_ key: String, by delta: Int64, ttlSeconds: Int64) async throws -> Int64? {
        try await locked(key) { adapter in
            let found = try await adapter.findOne(Self.table.name, where: [Condition("key", .eq, .string(key))])
            let row = found.flatMap { Self.isExpired($0) ? nil : $0 }
            var current: Int64 = 0
            if let row {
                guard let value = Self.bytes(of: row).flatMap({ Int64(String(decoding: $0, as: UTF8.self)) }) else { return nil }
                current = value
            }
            let next = current &+ delta
            let stored = Self.stored(Array(String(next).utf8))
            if let found {
                try await adapter.update(Self.table.name, where: [Condition("id", .eq, .string(found.id))],
                                         set: ["value": stored, "expiresAt": row?["expiresAt"] ?? Self.expiry(ttlSeconds)])
            } else {
                try await adapter.create(Self.table.name, ["key": .string(key), "value": stored, "expiresAt": Self.expiry(ttlSeconds)])
            }
            return next
        }
    }

    /// The row at `key` unless it has expired (an expired one is removed).
    private func live(_ key: String) async throws -> Record? {
        guard let row = try await adapter.findOne(Self.table.name, where: [Condition("key", .eq, .string(key))]) else { return nil }
        guard !Self.isExpired(row) else {
            // Only while still expired: a concurrent kv_increment may have just renewed it.
            try await adapter.delete(Self.table.name, where: [
                Condition("id", .eq, .string(row.id)), Condition("expiresAt", .lte, .date(Date())),
            ])
            return nil
        }
        return row
    }

    /// Values are bytes; the column holds them base64-encoded.
    private static func stored(_ bytes: [UInt8]) -> DBValue { .string(Data(bytes).base64EncodedString()) }

    private static func bytes(of row: Record) -> [UInt8]? {
        row.string("value").flatMap { Data(base64Encoded: $0) }.map(Array.init)
    }

    private static func isExpired(_ row: Record) -> Bool {
        row.date("expiresAt").map { $0 <= Date() } ?? false
    }

    /// No expiry for 0 or less; a time-to-live beyond a century is a century (dates stay
    /// within four-digit years, which every database reads back).
    private static func expiry(_ ttlSeconds: Int64) -> DBValue {
        ttlSeconds > 0 ? .date(Date(timeIntervalSinceNow: min(Double(ttlSeconds), 100 * 365.25 * 86_400))) : .null
    }
}
