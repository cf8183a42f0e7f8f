import CSQLite
import Foundation

/// One connection to an SQLite file, with a cache of prepared statements. Not thread-safe:
/// its owner (the reader pool or the writer thread) guarantees one user at a time.
final class SQLiteConnection: @unchecked Sendable {
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    private static let statementCacheLimit = 128

    init(path: String) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(message: "cannot open SQLite database at \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Runs one statement and returns every row it produces.
    func query(_ sql: String, _ binds: [DBValue]) throws -> [SQLRow] {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, value) in binds.enumerated() {
            try check(bind(value, to: statement, at: Int32(index + 1)), sql)
        }
        let columnCount = sqlite3_column_count(statement)
        let names = (0..<columnCount).map { String(cString: sqlite3_column_name(statement, $0)) }
        var rows: [SQLRow] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { try check(status, sql); break }
            var columns: [(name: String, cell: SQLCell)] = []
            columns.reserveCapacity(Int(columnCount))
            for i in 0..<columnCount { columns.append((names[Int(i)], cell(statement, i))) }
            rows.append(SQLRow(columns: columns))
        }
        return rows
    }

    private func prepared(_ sql: String) throws -> OpaquePointer {
        if let cached = statements[sql] { return cached }
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil), sql)
        guard let statement else { throw SQLiteError(message: "empty statement: \(sql)") }
        if statements.count >= Self.statementCacheLimit {
            for old in statements.values { sqlite3_finalize(old) }
            statements.removeAll()
        }
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: DBValue, to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch value {
        case .null: return sqlite3_bind_null(statement, index)
        case .int(let i): return sqlite3_bind_int64(statement, index, i)
        case .double(let d): return sqlite3_bind_double(statement, index, d)
        case .bool(let b): return sqlite3_bind_int64(statement, index, b ? 1 : 0)
        case .string(let s): return bindText(s, statement, index)
        case .date(let d): return bindText(ISOTimestamp.format(d), statement, index)
        case .json(let j): return bindText(j.serialized(), statement, index)
        }
    }

    private func bindText(_ text: String, _ statement: OpaquePointer, _ index: Int32) -> Int32 {
        text.withCString { sqlite3_bind_text(statement, index, $0, Int32(text.utf8.count), sqliteTransient) }
    }

    private func cell(_ statement: OpaquePointer, _ index: Int32) -> SQLCell {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard let blob = sqlite3_column_blob(statement, index) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: count)))
        default: return .null
        }
    }

    private func check(_ status: Int32, _ sql: String) throws {
        guard status != SQLITE_OK, status != SQLITE_ROW, status != SQLITE_DONE else { return }
        // SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY (extended codes; their C
        // macros are not imported into Swift).
        if status == 2067 || status == 1555 { throw DatabaseUniqueViolation(String(cString: sqlite3_errmsg(handle))) }
        throw SQLiteError(message: String(cString: sqlite3_errmsg(handle)), code: status, sql: sql)
    }
}

/// `SQLITE_TRANSIENT`: SQLite copies bound text before the call returns.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// An error SQLite reported, with the statement that caused it.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var code: Int32 = 0
    public var sql: String = ""

    public var description: String { sql.isEmpty ? "SQLite: \(message)" : "SQLite: \(message) (in \(sql))" }
}
