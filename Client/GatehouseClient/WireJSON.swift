import Foundation

/// Better Auth's JSON: dates as ISO 8601 strings with milliseconds (or epoch milliseconds),
/// request bodies as objects whose absent members are left out.
enum WireJSON {
    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom(decodeDate)
        return decoder
    }

    @Sendable static func decodeDate(_ decoder: any Decoder) throws -> Date {
        let container = try decoder.singleValueContainer()
        if let milliseconds = try? container.decode(Double.self) { return Date(timeIntervalSince1970: milliseconds / 1000) }
        let text = try container.decode(String.self)
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        throw DecodingError.dataCorruptedError(in: container, debugDescription: "Not an ISO 8601 date: \(text)")
    }

    /// A member of a request body.
    enum Field: Encodable, Sendable {
        case string(String)
        case bool(Bool)
        case object([String: Field])
        case null

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            case .object(let value): try container.encode(value)
            case .null: try container.encodeNil()
            }
        }
    }

    /// The body `{key: value}` without the members whose value is nil.
    static func body(_ fields: [String: Field?]) throws -> Data {
        try JSONEncoder().encode(fields.compactMapValues { $0 })
    }
}

extension Optional where Wrapped == String {
    var field: WireJSON.Field? { map(WireJSON.Field.string) }
}

extension Optional where Wrapped == Bool {
    var field: WireJSON.Field? { map(WireJSON.Field.bool) }
}
