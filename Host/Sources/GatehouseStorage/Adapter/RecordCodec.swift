import Foundation
import GatehouseJSON

/// Converts between driver cells and typed field values using the table schema.
enum RecordCodec {
    /// The adapter selects columns in schema order, so cells are matched by position.
    static func decode(_ row: SQLRow, table: TableSchema) -> Record {
        var record = Record()
        record.fields.reserveCapacity(table.fields.count)
        for ((name, field), column) in zip(table.fields, row.columns) {
            record[name] = value(column.cell, for: field)
        }
        return record
    }

    static func value(_ cell: SQLCell, for field: Field) -> DBValue {
        switch (field.type, cell) {
        case (_, .null): return .null
        case (.boolean, .integer(let i)): return .bool(i != 0)
        case (.boolean, .text(let t)): return .bool(t == "1" || t.lowercased() == "true" || t == "t")
        case (.date, .date(let d)): return .date(d)
        case (.date, .text(let t)): return ISOTimestamp.parse(t).map(DBValue.date) ?? .null
        case (.date, .integer(let ms)): return .date(Date(timeIntervalSince1970: Double(ms) / 1000))
        case (.date, .real(let ms)): return .date(Date(timeIntervalSince1970: ms / 1000))
        case (.number, .integer(let i)): return .int(i)
        case (.number, .real(let d)): return .double(d)
        case (.number, .text(let t)): return Int64(t).map(DBValue.int) ?? Double(t).map(DBValue.double) ?? .null
        case (.json, .text(let t)), (.stringArray, .text(let t)), (.numberArray, .text(let t)):
            return (try? JSONValue.parse(t)).map(DBValue.json) ?? .string(t)
        case (_, .text(let t)): return .string(t)
        case (_, .integer(let i)): return field.type == .string ? .string(String(i)) : .int(i)
        case (_, .real(let d)): return .double(d)
        case (_, .blob(let b)): return .string(String(decoding: b, as: UTF8.self))
        case (_, .date(let d)): return .string(ISOTimestamp.format(d))
        }
    }

    /// Coerces an input value to the field's type, or nil when it does not fit.
    static func coerce(_ value: DBValue, to field: Field) -> DBValue? {
        switch (field.type, value) {
        case (_, .null): return field.required ? nil : .null
        case (.string, .string), (.boolean, .bool), (.date, .date), (.number, .int), (.number, .double): return value
        case (.json, _), (.stringArray, .json), (.numberArray, .json): return value
        case (.boolean, .int(let i)): return .bool(i != 0)
        case (.date, .string(let s)): return ISOTimestamp.parse(s).map(DBValue.date)
        default: return nil
        }
    }
}
