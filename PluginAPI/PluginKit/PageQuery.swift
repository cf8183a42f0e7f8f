/// The `limit` and `offset` query parameters of a list route: whole numbers (`limit` at least 1
/// and capped, `offset` at least 0), else a 400 `INVALID_QUERY` naming the parameter.
public struct PageQuery: Sendable, Equatable {
    /// Beyond this a number no longer reaches the database exactly (JSON numbers are doubles).
    public static let largestNumber = 1_000_000_000_000_000

    public let limit: Int
    public let offset: Int

    public init(_ call: PluginCall, defaultLimit: Int = 50, maximumLimit: Int = 500) throws {
        limit = min(try Self.number(call, "limit", minimum: 1) ?? defaultLimit, maximumLimit)
        offset = try Self.number(call, "offset", minimum: 0) ?? 0
    }

    private static func number(_ call: PluginCall, _ name: String, minimum: Int) throws -> Int? {
        guard let text = call.query(name) else { return nil }
        guard let value = Int(text), value >= minimum else {
            throw PluginError(code: "INVALID_QUERY", message: "\(name) must be a whole number, at least \(minimum)")
        }
        guard value <= largestNumber else {
            throw PluginError(code: "INVALID_QUERY", message: "\(name) must be at most \(largestNumber)")
        }
        return value
    }
}
