import GatehouseJSON
import PluginKit

/// `GET /console/users?q=&page=`: users whose e-mail or name contains `q`, by e-mail (unique, so
/// the order is stable from page to page), through the admin plugin's `listUsers` (its
/// `user:list` permission applies).
struct UsersPage: Sendable {
    /// A search reads both matching lists up to the end of its page: deeper pages are refused,
    /// so `?page=` cannot make one request read the whole table twice.
    static let deepestSearch = 5_000

    let context: ConsoleContext

    func show(_ visit: Visit) throws -> PluginAnswer {
        let viewer = try visit.actor
        let paging = try Paging(visit, size: context.settings.pageSize)
        let q = visit.query("q")
        let found = q.isEmpty ? try list(viewer, limit: paging.size + 1, offset: paging.offset) : try search(q, viewer, paging)
        let rows = found.prefix(paging.size).map(row)
        let page = Page(template: "users", title: "Users", section: .users, values: [
            "q": q, "searched": !q.isEmpty, "rows": Array(rows), "hasRows": !rows.isEmpty,
            "paging": paging.values(context.paths.page("users"), query: [("q", q)], hasNext: found.count > paging.size),
        ])
        return context.show(page, to: viewer)
    }

    /// The page's users and one more (is there a next page?): the e-mail matches and the name
    /// matches, each read up to the end of this page, merged by e-mail.
    private func search(_ q: String, _ viewer: Operator, _ paging: Paging) throws -> [JSONValue] {
        let wanted = paging.offset + paging.size + 1
        guard wanted <= Self.deepestSearch + 1 else { throw ConsoleError.searchTooDeep.failure }
        var seen = Set<String>()
        let merged = try (list(viewer, search: ("email", q), limit: wanted, offset: 0) + list(viewer, search: ("name", q), limit: wanted, offset: 0))
            .filter { seen.insert($0["id"]?.stringValue ?? "").inserted }
            .sorted { ($0["email"]?.stringValue ?? "", $0["id"]?.stringValue ?? "") < ($1["email"]?.stringValue ?? "", $1["id"]?.stringValue ?? "") }
        return Array(merged.dropFirst(paging.offset).prefix(paging.size + 1))
    }

    private func list(_ viewer: Operator, search: (field: String, value: String)? = nil, limit: Int, offset: Int) throws -> [JSONValue] {
        var fields: [(String, JSONValue)] = [("limit", .int(limit)), ("offset", .int(offset)), ("sortBy", "email"), ("sortDirection", "asc")]
        if let search {
            fields += [("searchValue", .string(search.value)), ("searchField", .string(search.field)), ("searchOperator", "contains")]
        }
        return try context.admin("listUsers", for: viewer, fields)["users"]?.arrayValue ?? []
    }

    private func row(_ user: JSONValue) -> [String: Any] {
        [
            "href": context.paths.page("users", user["id"]?.stringValue ?? ""),
            "email": user["email"]?.displayText ?? "", "name": user["name"]?.displayText ?? "",
            "role": user["role"]?.displayText ?? "", "banned": user["banned"]?.boolValue == true ? "yes" : "no",
            "created": DisplayTime.value(user["createdAt"]),
        ]
    }
}
