import Foundation
import OrderedCollections

/// One row of a table, keyed by field name in schema order.
public struct Record: Sendable, Equatable {
    public var fields: OrderedDictionary<String, DBValue>

    public init(_ fields: OrderedDictionary<String, DBValue> = [:]) {
        self.fields = fields
    }

    public subscript(field: String) -> DBValue? {
        get { fields[field] }
        set { fields[field] = newValue }
    }

    public func string(_ field: String) -> String? { fields[field]?.string }
    public func bool(_ field: String) -> Bool? { fields[field]?.bool }
    public func date(_ field: String) -> Date? { fields[field]?.date }
    public func int(_ field: String) -> Int64? { fields[field]?.int }

    /// The row id; every table has a string `id`.
    public var id: String { string("id") ?? "" }
}

extension Record: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, DBValue)...) {
        self.init(OrderedDictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
