import GatehouseJSON
import PluginKit

/// `GET /admin/list-users` → `{users, total, limit?, offset?}`: a page of users matching an optional
/// search (`searchValue` in `searchField` by `searchOperator`) and filter (`filterField`
/// `filterOperator` `filterValue`), sorted by `sortBy`. Fields are the users' returned fields;
/// anything else is a 400, where Better Auth answers an empty list.
struct UserListing: Sendable {
    let context: AdminContext

    /// Better Auth's adapter operators, as the host's `where` spells them.
    static let operators: [String: String] = [
        "eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "in": "IN", "not_in": "NOT IN",
        "contains": "contains", "starts_with": "starts_with", "ends_with": "ends_with",
    ]
    static let searchFields: Set<String> = ["email", "name"]
    static let searchOperators: Set<String> = ["contains", "starts_with", "ends_with"]

    func list(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try context.authorize(call, ["user": ["list"]], else: .notAllowedToListUsers)
        let fields = Set(caller.user.objectValue?.keys ?? [])
        let limit = try Self.number(call, "limit", minimum: 1)
        let offset = try Self.number(call, "offset", minimum: 0)
        var conditions: [JSONValue] = []
        if let search = call.query("searchValue"), !search.isEmpty {
            let field = try Self.choice(call, "searchField", Self.searchFields, default: "email")
            let op = try Self.choice(call, "searchOperator", Self.searchOperators, default: "contains")
            conditions.append(["field": .string(field), "operator": .string(op), "value": .string(search)])
        }
        var filterChoices: [JSONValue] = [.null]
        if let value = call.query("filterValue") {
            let field = try Self.choice(call, "filterField", fields, default: "email")
            let op = Self.operators[try Self.choice(call, "filterOperator", Set(Self.operators.keys), default: "eq")] ?? "="
            filterChoices = Self.readings(of: value, for: op).map { reading -> JSONValue in ["field": .string(field), "operator": .string(op), "value": reading] }
        }
        let sortBy = try Self.choice(call, "sortBy", fields, default: "createdAt")
        let direction = try Self.choice(call, "sortDirection", ["asc", "desc"], default: "asc")
        let page: Page = (["field": .string(sortBy), "direction": .string(direction)], limit, offset ?? 0)
        let (rows, matching) = try firstAccepted(filterChoices.map { filter in conditions + (filter.isNull ? [] : [filter]) }, page)
        let total = try context.host.call("db.count", ["table": "user", "where": .array(matching)])["count"]?.intValue ?? 0
        var answer: [(String, JSONValue)] = [("users", .array(rows.map { AdminContext.output($0, shapedLike: caller.user) })), ("total", .int(total))]
        if let limit { answer.append(("limit", .int(limit))) }
        if let offset, offset > 0 { answer.append(("offset", .int(offset))) }
        return .json(.object(.init(uniqueKeysWithValues: answer)))
    }

    private typealias Page = (orderBy: JSONValue, limit: Int?, offset: Int)

    /// The rows for the first `where` whose values the host takes for the fields' types, and that `where`.
    private func firstAccepted(_ choices: [[JSONValue]], _ page: Page) throws -> ([JSONValue], [JSONValue]) {
        var refusal: PluginError?
        for conditions in choices {
            let request: JSONValue = ["table": "user", "where": .array(conditions), "orderBy": page.orderBy,
                                      "limit": page.limit.map(JSONValue.int) ?? .null, "offset": .int(page.offset)]
            do {
                return (try context.host.call("db.findMany", request)["rows"]?.arrayValue ?? [], conditions)
            } catch let failure as PluginError where failure.code == "VALIDATION_ERROR" {
                refusal = failure
            }
        }
        throw AdminError.validation.failure(message: "filterValue does not fit filterField (\(refusal?.message ?? "wrong type"))")
    }

    /// A query string value read as the field may need it: a boolean or a number first when it
    /// looks like one, else text; `in` and `not_in` take comma-separated lists.
    static func readings(of text: String, for op: String) -> [JSONValue] {
        if ["contains", "starts_with", "ends_with"].contains(op) { return [.string(text)] }
        if op == "IN" || op == "NOT IN" {
            let items = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let guessed = items.map { typed($0) ?? .string($0) }
            let plain = items.map(JSONValue.string)
            return guessed == plain ? [.array(plain)] : [.array(guessed), .array(plain)]
        }
        return [typed(text), .string(text)].compactMap { $0 }
    }

    private static func typed(_ text: String) -> JSONValue? {
        if text == "true" || text == "false" { return .bool(text == "true") }
        if let number = Double(text), number.isFinite { return .number(number) }
        return nil
    }

    /// A query parameter that must be one of `allowed`; 400 `INVALID_QUERY` naming it otherwise.
    private static func choice(_ call: PluginCall, _ name: String, _ allowed: Set<String>, default fallback: String) throws -> String {
        guard let value = call.query(name) else { return fallback }
        guard allowed.contains(value) else {
            throw AdminError.invalidQuery.failure(message: "\(name) must be one of " + allowed.sorted().joined(separator: ", "))
        }
        return value
    }

    /// A whole number at least `minimum`, nil when absent.
    private static func number(_ call: PluginCall, _ name: String, minimum: Int) throws -> Int? {
        guard let text = call.query(name) else { return nil }
        guard let value = Int(text), value >= minimum, value <= PageQuery.largestNumber else {
            throw AdminError.invalidQuery.failure(message: "\(name) must be a whole number, at least \(minimum)")
        }
        return value
    }
}
