/// A fake host refusing a test's request, or a plugin failing in a way the real host would
/// answer with 500 `PLUGIN_ERROR` (init refused, a non-GH_OK status, an answer that is not JSON).
public struct FakeHostError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) { self.description = description }
}
