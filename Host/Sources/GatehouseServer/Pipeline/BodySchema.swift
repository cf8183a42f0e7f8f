import EmailSyntax
import GatehouseJSON

/// The expected shape of a JSON body or query: validated before the handler runs
/// (400 `VALIDATION_ERROR`, as Better Auth's zod schemas answer) and described in OpenAPI.
public struct BodySchema: Sendable {
    public enum Kind: String, Sendable {
        case string, boolean, number, object, array
        /// A string that must look like an email address.
        case email
    }

    public struct Property: Sendable {
        public let name: String
        public let kind: Kind
        public let required: Bool
        public let nullable: Bool
        public let description: String?

        public init(_ name: String, _ kind: Kind, required: Bool = false, nullable: Bool = false, description: String? = nil) {
            self.name = name
            self.kind = kind
            self.required = required
            self.nullable = nullable
            self.description = description
        }
    }

    public let properties: [Property]

    public init(_ properties: [Property]) {
        self.properties = properties
    }

    /// Problems in `[location.name] message` form; empty when the value fits.
    public func problems(in value: JSONValue, location: String) -> [String] {
        guard let object = value.objectValue else {
            return value.isNull && !properties.contains(where: \.required) ? [] : ["[\(location)] Invalid input: expected object, received \(value.typeName)"]
        }
        var problems: [String] = []
        for property in properties {
            let label = "[\(location).\(property.name)]"
            guard let field = object[property.name] else {
                if property.required { problems.append("\(label) Invalid input: expected \(property.kind.expected), received undefined") }
                continue
            }
            if field.isNull, property.nullable || !property.required { continue }
            if !property.kind.accepts(field) {
                problems.append("\(label) Invalid input: expected \(property.kind.expected), received \(field.typeName)")
            } else if property.kind == .email, let text = field.stringValue, !EmailAddress.isValid(text) {
                problems.append("\(label) Invalid email address")
            }
        }
        return problems
    }
}

extension BodySchema.Kind {
    var expected: String {
        switch self {
        case .email: "string"
        default: rawValue
        }
    }

    func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.string, .string), (.email, .string), (.boolean, .bool), (.number, .number), (.object, .object), (.array, .array): true
        default: false
        }
    }
}
