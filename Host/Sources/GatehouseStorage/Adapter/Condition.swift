/// One condition of a WHERE clause; conditions in a list are joined with AND.
public struct Condition: Sendable {
    public enum Operator: String, Sendable {
        case eq = "="
        case ne = "<>"
        case lt = "<"
        case lte = "<="
        case gt = ">"
        case gte = ">="
        case `in` = "IN"
        case notIn = "NOT IN"
        /// Case-insensitive text matches (Better Auth's adapter operators); `%` and `_` in the
        /// value match themselves.
        case contains, startsWith = "starts_with", endsWith = "ends_with"

        public var isPattern: Bool { self == .contains || self == .startsWith || self == .endsWith }
    }

    public var field: String
    public var op: Operator
    public var values: [DBValue]

    public init(_ field: String, _ op: Operator = .eq, _ value: DBValue) {
        self.field = field
        self.op = op
        values = [value]
    }

    public static func any(_ field: String, of values: [DBValue]) -> Condition {
        list(field, .in, values)
    }

    /// `IN` or `NOT IN` a list of values.
    public static func list(_ field: String, _ op: Operator, _ values: [DBValue]) -> Condition {
        var condition = Condition(field, op, .null)
        condition.values = values
        return condition
    }
}

/// Sort order for `findMany`.
public struct SortOrder: Sendable {
    public var field: String
    public var descending: Bool

    public init(_ field: String, descending: Bool = false) {
        self.field = field
        self.descending = descending
    }
}
