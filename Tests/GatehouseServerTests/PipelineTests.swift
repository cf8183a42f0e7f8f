import EmailSyntax
import GatehouseJSON
@testable import GatehouseServer
import Testing

@Suite struct PathPatternTests {
    @Test func wildcards() {
        #expect(PathPattern("/sign-in/email").matches("/sign-in/email"))
        #expect(!PathPattern("/sign-in/email").matches("/sign-in/email/x"))
        #expect(PathPattern("/two-factor/*").matches("/two-factor/verify-totp"))
        #expect(!PathPattern("/two-factor/*").matches("/two-factor/a/b"))
        #expect(PathPattern("/org/**").matches("/org/a/b/c"))
        #expect(PathPattern("/**").matches("/anything/at/all"))
        #expect(PathPattern("/sign-*").matches("/sign-up"))
    }
}

@Suite struct RouteTableTests {
    let handler: Endpoint.Handler = { _ in .json(.null) }

    @Test func exactAndParameterRoutes() throws {
        var table = RouteTable()
        try table.add(Endpoint(.get, "/reset-password/:token", summary: "", handler: handler))
        try table.add(Endpoint(.get, "/ok", summary: "", handler: handler))
        #expect(table.match(.get, "/ok") != nil)
        #expect(table.match(.post, "/ok") == nil)
        #expect(table.match(.get, "/reset-password/abc%20d")?.params["token"] == "abc d")
        #expect(table.match(.get, "/reset-password/") == nil)
        #expect(table.match(.get, "/reset-password/a/b") == nil)
    }

    @Test func conflictsAreRejected() throws {
        var table = RouteTable()
        try table.add(Endpoint(.get, "/x/:id", summary: "", handler: handler))
        #expect(throws: RouteConflict.self) { try table.add(Endpoint(.get, "/x/:other", summary: "", handler: handler)) }
        try table.add(Endpoint(.post, "/x/:id", summary: "", handler: handler))
    }

    /// ABI 1.7: a `wellKnown` endpoint answers only outside the base path, beside an ordinary one of the same path.
    @Test func wellKnownRoutesAreServedOutsideTheBasePathOnly() throws {
        var table = RouteTable()
        var outside = Endpoint(.get, "/.well-known/oauth-authorization-server", summary: "outside", handler: handler)
        outside.wellKnown = true
        try table.add(outside)
        #expect(table.match(.get, "/.well-known/oauth-authorization-server") == nil)
        try table.add(Endpoint(.get, "/.well-known/oauth-authorization-server", summary: "inside", handler: handler))
        #expect(table.match(.get, "/.well-known/oauth-authorization-server")?.endpoint.summary == "inside")
        #expect(table.matchWellKnown(.get, "/.well-known/oauth-authorization-server")?.endpoint.summary == "outside")
        #expect(table.matchWellKnown(.post, "/.well-known/oauth-authorization-server") == nil)
        #expect(table.endpoints.map(\.summary) == ["inside"])
        #expect(throws: RouteConflict.self) { try table.add(outside) }
    }
}

@Suite struct ErrorAndValidationTests {
    @Test func codeDerivedFromMessageLikeBetterCall() {
        #expect(APIError(.badRequest, message: "No fields to update").code == "NO_FIELDS_TO_UPDATE")
        #expect(APIError(.badRequest, message: "Can't do that!").code == "CANT_DO_THAT")
    }

    @Test func bodySchemaReportsEachProblem() {
        let schema = BodySchema([.init("email", .email, required: true), .init("rememberMe", .boolean)])
        #expect(schema.problems(in: ["email": "a@b.io"], location: "body").isEmpty)
        let problems = schema.problems(in: ["email": 5, "rememberMe": "yes"], location: "body")
        #expect(problems == ["[body.email] Invalid input: expected string, received number",
                             "[body.rememberMe] Invalid input: expected boolean, received string"])
        #expect(schema.problems(in: [:], location: "body") == ["[body.email] Invalid input: expected string, received undefined"])
        #expect(schema.problems(in: ["email": "nope"], location: "body") == ["[body.email] Invalid email address"])
    }

    @Test(arguments: ["a@b.io", "first.last+tag@sub.example.com"])
    func validEmails(_ email: String) { #expect(EmailAddress.isValid(email)) }

    @Test(arguments: ["plain", "a@b", "@b.io", "a@@b.io", "a b@c.io", "a@-b.io", ".a@b.io", "a..b@c.io"])
    func invalidEmails(_ email: String) { #expect(!EmailAddress.isValid(email)) }
}

@Suite struct JSONTests {
    @Test func keepsKeyOrderAndSerialisesLikeJavaScript() throws {
        let text = #"{"b":1,"a":[true,null,"x\"y"],"c":{"z":2.5,"y":-0.125},"d":"é/\u0001"}"#
        let value = try JSONValue.parse(text)
        #expect(value.serialized() == #"{"b":1,"a":[true,null,"x\"y"],"c":{"z":2.5,"y":-0.125},"d":"é/\u0001"}"#)
    }

    /// Expected strings are what node's `JSON.stringify` prints for the same doubles; numbers
    /// beyond the 64-bit integer range must format, not trap.
    @Test(arguments: [
        ("1e19", "10000000000000000000"), ("-1e19", "-10000000000000000000"),
        ("326384347139262447616", "326384347139262450000"), ("-10000000000000000000", "-10000000000000000000"),
        ("1.7976931348623157e308", "1.7976931348623157e+308"), ("4611686018427387904", "4611686018427388000"),
        ("9007199254740993", "9007199254740992"), ("1e21", "1e+21"), ("1e-7", "1e-7"), ("0.000001", "0.000001"),
        ("0.1", "0.1"), ("-0.5", "-0.5"), ("123.456", "123.456"), ("1.5e-10", "1.5e-10"), ("5e-324", "5e-324"),
        ("-0", "0"), ("100", "100"), ("3.3e20", "330000000000000000000"),
    ])
    func numbersSerialiseLikeJavaScript(_ input: String, _ expected: String) throws {
        #expect(try JSONValue.parse(input).serialized() == expected)
    }

    @Test(arguments: ["", "{", "{\"a\":}", "[1,]", "01", "\"\\x\"", "{\"a\":1} x", "\"\\ud800\"", "nul"])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    /// JSONValue is ExpressibleByNilLiteral, so `flatMap { $0.isNull ? nil : $0 }` quietly
    /// yields `.null`; `nonNull` is the spelled-out absence.
    @Test func nonNullTurnsJSONNullIntoAbsence() throws {
        let envelope = try JSONValue.parse(#"{"session":null,"user":{"id":"u"}}"#)
        #expect(envelope["session"]?.nonNull == nil)
        #expect(envelope["user"]?.nonNull?["id"] == "u")
        #expect(envelope["missing"]?.nonNull == nil)
    }

    @Test func surrogatePairsAndDepthLimit() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(throws: JSONParseError.self) { try JSONValue.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) }
    }
}
