import PluginKit

/// The `page` query parameter of a list (1 when absent) and the links to its neighbours. Anything
/// but a whole number from 1 is 400 `INVALID_PAGE`.
struct Paging: Sendable {
    /// Far beyond any list, and small enough that `offset` never overflows.
    static let largestPage = 1_000_000

    let number: Int
    let size: Int

    var offset: Int { (number - 1) * size }

    init(_ visit: Visit, size: Int) throws {
        self.size = size
        let text = visit.query("page")
        guard !text.isEmpty else {
            number = 1
            return
        }
        guard text.allSatisfy(\.isASCII), let value = Int(text), (1...Self.largestPage).contains(value) else {
            throw ConsoleError.invalidPage.failure
        }
        number = value
    }

    /// `paging` for the `pager` partial: this page's number, and "Previous" / "Next" links to
    /// `path` with `query` (empty values left out) and their page numbers.
    func values(_ path: String, query: [(String, String)] = [], hasNext: Bool) -> [String: Any] {
        func link(_ page: Int) -> [String: Any] {
            ["href": ConsolePaths.withQuery(path, query + [("page", page == 1 ? "" : String(page))])]
        }
        var values: [String: Any] = ["number": String(number)]
        if number > 1 { values["previous"] = link(number - 1) }
        if hasNext { values["next"] = link(number + 1) }
        return values
    }
}
