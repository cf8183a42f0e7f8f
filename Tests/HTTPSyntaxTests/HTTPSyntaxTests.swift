import HTTPSyntax
import Testing

/// The `Cookie` header and query-string / form-body parsers, as the server reads requests with them.
@Suite struct HTTPSyntaxTests {
    @Test func cookieHeaderFirstOccurrenceWinsAndQuotesAreDropped() {
        let cookies = CookieHeader.parse(["a=1; b=\"two\"; a=3", " c = 4 ;noequals; =x"])
        #expect(cookies == ["a": "1", "b": "two", "c": "4"])
    }

    @Test func queryStringDecodesPlusAndPercentAndKeepsFirstValue() {
        let fields = QueryString.parse("email=ann%40example.com&name=Ann+Lee&name=Bob&flag&=x&bad=%zz")
        #expect(Array(fields.keys) == ["email", "name", "flag", "bad"])
        #expect(fields["email"] == "ann@example.com")
        #expect(fields["name"] == "Ann Lee")
        #expect(fields["flag"] == "")
        #expect(fields["bad"] == "%zz")
    }
}
