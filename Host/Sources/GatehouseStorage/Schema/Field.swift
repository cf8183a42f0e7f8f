/// The logical type of a field, with Better Auth's names.
public enum FieldType: String, Sendable, Codable {
    case string
    case number
    case boolean
    case date
    case json
    case stringArray = "string[]"
    case numberArray = "number[]"
}

/// How a field gets a value when the caller gives none.
public enum FieldDefault: Sendable, Equatable {
    case value(DBValue)
    /// The current time (createdAt, updatedAt).
    case now
}

/// A foreign key.
public struct FieldReference: Sendable, Equatable {
    public var table: String
    public var field: String
    public var onDelete: String

    public init(table: String, field: String = "id", onDelete: String = "cascade") {
        self.table = table
        self.field = field
        self.onDelete = onDelete
    }
}

/// One column with Better Auth's field attributes (`DBFieldAttribute`).
public struct Field: Sendable, Equatable {
    public var name: String
    public var type: FieldType
    public var required: Bool
    public var unique: Bool
    public var indexed: Bool
    /// Whether clients may set it through sign-up or update-user.
    public var input: Bool
    /// Whether it appears in API output.
    public var returned: Bool
    public var defaultValue: FieldDefault?
    /// Set to now on every update (updatedAt).
    public var updatesToNow: Bool
    public var references: FieldReference?
    public var bigint: Bool
    /// An SQL expression over the row's other columns that fills existing rows when the
    /// column is added to a table that already has rows (nil: they stay NULL).
    public var backfill: String?
    /// (ABI 1.5) A boolean user field that, while true, stops every email to the user's address:
    /// anonymous users' placeholder addresses belong to nobody.
    public var suppressesEmail: Bool

    public init(
        _ name: String, _ type: FieldType, required: Bool = true, unique: Bool = false, indexed: Bool = false,
        input: Bool = true, returned: Bool = true, defaultValue: FieldDefault? = nil, updatesToNow: Bool = false,
        references: FieldReference? = nil, bigint: Bool = false, backfill: String? = nil, suppressesEmail: Bool = false
    ) {
        self.name = name
        self.type = type
        self.required = required
        self.unique = unique
        self.indexed = indexed
        self.input = input
        self.returned = returned
        self.defaultValue = defaultValue
        self.updatesToNow = updatesToNow
        self.references = references
        self.bigint = bigint
        self.backfill = backfill
        self.suppressesEmail = suppressesEmail
    }
}
