/// A column value exactly as the driver returned it.
public enum SQLCell: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
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
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Whether the database answers a trivial query (readiness).
    func isReachable() async -> Bool
    func close() async throws
}

/// Where the database lives, parsed from the `database` setting.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)

    /// Accepts `sqlite:PATH`, `sqlite://PATH` and `file:PATH`.
    public init(_ text: String) throws(DatabaseLocationError) {
        for prefix in ["sqlite://", "sqlite:", "file:"] where text.hasPrefix(prefix) {
            let path = String(text.dropFirst(prefix.count))
            guard !path.isEmpty else { throw DatabaseLocationError(text: text) }
            self = .sqlite(path: path)
            return
        }
        throw DatabaseLocationError(text: text)
    }
}

public struct DatabaseLocationError: Error, Sendable, CustomStringConvertible {
    public let text: String
    public var description: String { "unsupported database URL \"\(text)\" (expected sqlite:PATH)" }
}
