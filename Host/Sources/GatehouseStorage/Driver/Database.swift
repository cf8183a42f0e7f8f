import Foundation

/// A column value exactly as the driver returned it.
public enum SQLCell: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    /// A timestamp column of a database that has one (PostgreSQL's `timestamptz`).
    case date(Date)
}

/// One result row: column names and cells in select order.
public struct SQLRow: Sendable {
    public var columns: [(name: String, cell: SQLCell)]

    public init(columns: [(name: String, cell: SQLCell)]) {
        self.columns = columns
    }

    public subscript(name: String) -> SQLCell? {
        columns.first(where: { $0.name == name })?.cell
    }
}

/// Runs parameterised SQL. Writes outside a transaction commit on their own.
public protocol SQLExecutor: Sendable {
    var dialect: SQLDialect { get }
    func query(_ sql: String, _ binds: [DBValue]) async throws -> [SQLRow]
}

/// A database connection pool that can also run transactions.
public protocol Database: SQLExecutor {
    /// Runs `body` inside one transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Whether the database answers a trivial query (readiness).
    func isReachable() async -> Bool
    /// Messages between the instances sharing this database (nil: only one process uses it).
    var changeFeed: (any ChangeFeed)? { get }
    func close() async throws
}

/// The database cannot be reached right now (a server down or a connection lost). The API
/// answers it with a JSON 503; the process keeps running and recovers when the server is back.
public struct DatabaseUnavailable: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "database unavailable: \(reason)" }
}

/// The database refused a value it cannot hold (PostgreSQL's SQLSTATE class 22: a NUL byte in
/// text, a number out of its column's range, an impossible date). The API answers a 400.
public struct DatabaseRejectedValue: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "the database refused a value: \(reason)" }
}

/// A write would duplicate a unique value (another request took the username or address
/// between its check and the write). The API answers a 409.
public struct DatabaseUniqueViolation: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "the database refused a duplicate of a unique value: \(reason)" }
}

/// Where the database lives, parsed from the `database` setting.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// Accepts `sqlite:PATH`, `sqlite://PATH`, `file:PATH`, and `postgres://USER:PASS@HOST:PORT/DB`
    /// (or `postgresql://…`).
    public init(_ text: String) throws(DatabaseLocationError) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(text))
            return
        }
        for prefix in ["sqlite://", "sqlite:", "file:"] where text.hasPrefix(prefix) {
            let path = String(text.dropFirst(prefix.count))
            guard !path.isEmpty else { throw DatabaseLocationError("an empty SQLite path") }
            self = .sqlite(path: path)
            return
        }
        throw DatabaseLocationError("expected sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
    }

    /// The location for logs and messages: never the password.
    public var displayed: String {
        switch self {
        case .sqlite(let path): "sqlite:" + path
        case .postgres(let location): location.description
        }
    }
}

/// Why a `database` value is not usable. It never repeats the value, which may hold a password.
public struct DatabaseLocationError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "invalid database value: \(reason)" }
}
