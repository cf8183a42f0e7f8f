import Foundation
import Logging
import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import SQLiteNIO

/// SQLite in WAL mode: one writer connection behind a lock (SQLite allows one writer),
/// and a few reader connections that never wait for it.
public final class SQLiteDatabase: Database {
    public let dialect = SQLDialect.sqlite
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let writeLock = AsyncLock()
    private let threadPool: NIOThreadPool
    private let nextReader = ReaderCursor()

    public static func open(path: String, readers readerCount: Int = 4, logger: Logger) async throws -> SQLiteDatabase {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let pool = NIOThreadPool(numberOfThreads: readerCount + 1)
        pool.start()
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let writer = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger, on: loop)
        // WAL lets readers proceed during writes; NORMAL sync is crash-safe in WAL mode.
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000"] {
            _ = try await writer.query(pragma)
        }
        var readers: [SQLiteConnection] = []
        for _ in 0..<readerCount {
            let reader = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger, on: loop)
            _ = try await reader.query("PRAGMA foreign_keys=ON")
            _ = try await reader.query("PRAGMA busy_timeout=5000")
            readers.append(reader)
        }
        return SQLiteDatabase(writer: writer, readers: readers, threadPool: pool)
    }

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], threadPool: NIOThreadPool) {
        self.writer = writer
        self.readers = readers
        self.threadPool = threadPool
    }

    public func query(_ sql: String, _ binds: [DBValue]) async throws -> [SQLRow] {
        if Self.isRead(sql), !readers.isEmpty {
            return try await Self.run(sql, binds, on: readers[nextReader.next(readers.count)])
        }
        return try await writeLock.withLock { try await Self.run(sql, binds, on: writer) }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await writeLock.withLock {
            _ = try await writer.query("BEGIN IMMEDIATE")
            do {
                let result = try await body(SQLiteTransaction(connection: writer))
                _ = try await writer.query("COMMIT")
                return result
            } catch {
                _ = try? await writer.query("ROLLBACK")
                throw error
            }
        }
    }

    public func isReachable() async -> Bool {
        (try? await query("SELECT 1", [])) != nil
    }

    public func close() async throws {
        for reader in readers { try await reader.close() }
        try await writer.close()
        try await threadPool.shutdownGracefully()
    }

    static func isRead(_ sql: String) -> Bool {
        let head = sql.prefix(8).uppercased()
        return head.hasPrefix("SELECT") || head.hasPrefix("PRAGMA") || head.hasPrefix("WITH")
    }

    static func run(_ sql: String, _ binds: [DBValue], on connection: SQLiteConnection) async throws -> [SQLRow] {
        let rows = try await connection.query(sql, binds.map(sqliteData))
        return rows.map { row in
            SQLRow(columns: row.columns.map { column in
                let cell: SQLCell = switch column.data {
                case .null: .null
                case .integer(let i): .integer(Int64(i))
                case .float(let d): .real(d)
                case .text(let s): .text(s)
                case .blob(let buffer): .blob(Array(buffer.readableBytesView))
                }
                return (column.name, cell)
            })
        }
    }

    static func sqliteData(_ value: DBValue) -> SQLiteData {
        switch value {
        case .null: .null
        case .string(let s): .text(s)
        case .int(let i): .integer(Int(i))
        case .double(let d): .float(d)
        case .bool(let b): .integer(b ? 1 : 0)
        case .date(let d): .text(ISOTimestamp.format(d))
        case .json(let j): .text(j.serialized())
        }
    }
}

/// Statements inside a transaction run on the writer, which the transaction holds.
private struct SQLiteTransaction: SQLExecutor {
    let connection: SQLiteConnection
    var dialect: SQLDialect { .sqlite }

    func query(_ sql: String, _ binds: [DBValue]) async throws -> [SQLRow] {
        try await SQLiteDatabase.run(sql, binds, on: connection)
    }
}

/// Round-robin choice of a reader connection.
private final class ReaderCursor: Sendable {
    private let counter = NIOLockedValueBox(0)

    func next(_ count: Int) -> Int {
        counter.withLockedValue { value in
            value = (value + 1) % count
            return value
        }
    }
}
