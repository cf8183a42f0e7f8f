import Foundation
import NIOCore
import PostgresNIO

/// Field values to PostgreSQL bind parameters and result cells back to `SQLCell`s.
enum PostgresValues {
    /// Every value goes as text with no declared type (OID 0), so the server reads it as the
    /// type of the column it meets (`timestamptz`, `boolean`, `integer`, `jsonb`…), as libpq's
    /// untyped parameters do. A value that does not fit is SQLSTATE 22xxx, answered as a 400.
    static func bindings(_ values: [DBValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .string(let s): bindings.append(UntypedText(s))
            case .int(let i): bindings.append(UntypedText(String(i)))
            case .double(let d): bindings.append(UntypedText(d.description))
            case .bool(let b): bindings.append(UntypedText(b ? "true" : "false"))
            case .date(let d): bindings.append(UntypedText(ISOTimestamp.format(d)))
            case .json(let j): bindings.append(UntypedText(j.serialized()))
            }
        }
        return bindings
    }

    static func rows(_ sequence: PostgresRowSequence) async throws -> [SQLRow] {
        var rows: [SQLRow] = []
        for try await row in sequence {
            var columns: [(name: String, cell: SQLCell)] = []
            for cell in row { columns.append((cell.columnName, try self.cell(cell))) }
            rows.append(SQLRow(columns: columns))
        }
        return rows
    }

    private static func cell(_ cell: PostgresCell) throws -> SQLCell {
        guard var bytes = cell.bytes else { return .null }
        switch cell.dataType {
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .timestamptz, .timestamp, .date: return .date(try cell.decode(Date.self))
        case .bytea: return .blob(Array(buffer: bytes))
        case .jsonb where cell.format == .binary:
            bytes.moveReaderIndex(forwardBy: 1)  // jsonb's binary form is a version byte, then the text
            return .text(String(buffer: bytes))
        case .numeric: return .real(NSDecimalNumber(decimal: try cell.decode(Decimal.self)).doubleValue)
        case .text, .varchar, .name, .bpchar, .json, .jsonb: return .text(String(buffer: bytes))
        // uuid and the rest: postgres-nio's text conversion, else the bytes as they came.
        default: return .text((try? cell.decode(String.self)) ?? String(buffer: bytes))
        }
    }
}

/// A bind parameter in text form whose type the server infers.
private struct UntypedText: PostgresDynamicTypeEncodable {
    let text: String
    init(_ text: String) { self.text = text }
    var psqlType: PostgresDataType { .null }
    var psqlFormat: PostgresFormat { .text }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        buffer.writeString(text)
    }
}

/// What a PostgreSQL failure means for Gatehouse.
enum PostgresErrors {
    static func sqlState(_ error: PSQLError) -> String? { error.serverInfo?[.sqlState] }

    /// The server or the connection to it went away (08xxx, shutdowns, closed sockets).
    static func isConnectionLoss(_ error: PSQLError) -> Bool {
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed, .clientClosedConnection: return true
        default: break
        }
        guard let state = sqlState(error) else { return false }
        return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
    }

    /// Worth a retry later: serialization failure, deadlock, too many connections, lock or statement timeout.
    static func isTransient(_ error: PSQLError) -> Bool {
        ["40001", "40P01", "53300", "55P03", "57014"].contains(sqlState(error) ?? "")
    }

    /// A value the column cannot hold (SQLSTATE class 22: bad text encoding, out of range, …).
    static func isRejectedValue(_ error: PSQLError) -> Bool {
        sqlState(error)?.hasPrefix("22") == true
    }

    /// For logs: the SQLSTATE or the client-side kind, never the query's values.
    static func describe(_ error: PSQLError) -> String {
        sqlState(error).map { "SQLSTATE \($0)" } ?? "\(error.code)"
    }
}
