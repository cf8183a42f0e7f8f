import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// SQLite in WAL mode. Reads run inline on the caller's thread on a pooled reader connection
/// (an indexed lookup takes microseconds; a thread hop would cost more). Writes run on one
/// writer connection on its own thread, behind a lock, since SQLite allows one writer and
/// a commit may wait on the disk.
public final class SQLiteDatabase: Database {
    public let dialect = SQLDialect.sqlite
    private let path: String
    private let writer: SQLiteConnection
    private let writerThread: NIOThreadPool
    private let writeLock = AsyncLock()
    private let idleReaders = NIOLockedValueBox([SQLiteConnection]())
    private let maxIdleReaders: Int

    public static func open(path: String, readers: Int = 8, logger: Logger) async throws -> SQLiteDatabase {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let writer = try SQLiteConnection(path: path)
        // WAL lets readers proceed during writes; NORMAL sync is crash-safe in WAL mode.
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"] {
            _ = try writer.query(pragma, [])
        }
        logger.debug("opened SQLite database", metadata: ["path": "\(path)"])
        return SQLiteDatabase(path: path, writer: writer, maxIdleReaders: readers)
    }

    private init(path: String, writer: SQLiteConnection, maxIdleReaders: Int) {
        self.path = path
        self.writer = writer
        self.maxIdleReaders = maxIdleReaders
        writerThread = NIOThreadPool(numberOfThreads: 1)
        writerThread.start()
    }

    public func query(_ sql: String, _ binds: [DBValue]) async throws -> [SQLRow] {
        if Self.isRead(sql) { return try read(sql, binds) }
        return try await writeLock.withLock { try await self.onWriter { try $0.query(sql, binds) } }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await writeLock.withLock {
            _ = try await onWriter { try $0.query("BEGIN IMMEDIATE", []) }
            do {
                let result = try await body(SQLiteTransaction(database: self))
                _ = try await onWriter { try $0.query("COMMIT", []) }
                return result
            } catch {
                _ = try? await onWriter { try $0.query("ROLLBACK", []) }
                throw error
            }
        }
    }

    /// One process owns a SQLite file: no other instance to tell about changes.
    public var changeFeed: (any ChangeFeed)? { nil }

    public func isReachable() async -> Bool {
        (try? read("SELECT 1", [])) != nil
    }

    public func close() async throws {
        idleReaders.withLockedValue { $0.removeAll() }
        try await writerThread.shutdownGracefully()
    }

    /// Runs a statement on the writer's thread (callers hold `writeLock`).
    fileprivate func onWriter<T: Sendable>(_ work: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let writer = self.writer
        return try await writerThread.runIfActive { try work(writer) }
    }

    private func read(_ sql: String, _ binds: [DBValue]) throws -> [SQLRow] {
        let connection = try idleReaders.withLockedValue { $0.popLast() } ?? SQLiteConnection(path: path)
        defer {
            idleReaders.withLockedValue { idle in
                if idle.count < maxIdleReaders { idle.append(connection) }
            }
        }
        return try connection.query(sql, binds)
    }

    static func isRead(_ sql: String) -> Bool {
        let head = sql.prefix(8).uppercased()
        return head.hasPrefix("SELECT") || head.hasPrefix("PRAGMA TA") || head.hasPrefix("PRAGMA IN")
    }
}

/// Statements inside a transaction run on the writer, which the transaction holds.
private struct SQLiteTransaction: SQLExecutor {
    let database: SQLiteDatabase
    var dialect: SQLDialect { .sqlite }

    func query(_ sql: String, _ binds: [DBValue]) async throws -> [SQLRow] {
        try await database.onWriter { try $0.query(sql, binds) }
    }
}
