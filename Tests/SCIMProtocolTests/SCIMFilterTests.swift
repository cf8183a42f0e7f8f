import GatehouseJSON
import SCIMProtocol
import Testing

@Suite struct SCIMFilterTests {
    func matches(_ filter: String, _ resource: JSONValue = barbara, _ type: SCIMResourceType = .user) throws -> Bool {
        try SCIMFilter.parse(filter, for: type).matches(resource)
    }

    @Test(arguments: [
        (#"userName eq "bjensen@example.com""#, true),
        (#"userName eq "BJENSEN@EXAMPLE.COM""#, true),          // userName is not caseExact
        (#"USERNAME Eq "bjensen@example.com""#, true),          // names and operators in any case
        (#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com""#, true),
        (#"userName ne "bjensen@example.com""#, false),
        (#"userName co "jensen""#, true),
        (#"userName sw "BJ""#, true),
        (#"userName ew ".com""#, true),
        (#"userName gt "a""#, true),
        (#"userName lt "a""#, false),
        (#"userName ge "bjensen@example.com""#, true),
        (#"userName le "bjensen@example.com""#, true),
        (#"id eq "2819c223-7f76-453a-919d-413861904646""#, true),
        (#"id eq "2819C223-7F76-453A-919D-413861904646""#, false), // id is caseExact
        (#"externalId eq "bjensen-EXT""#, true),
        (#"externalId eq "bjensen-ext""#, false),                  // externalId is caseExact
        (#"name.givenName eq "barbara""#, true),
        (#"name.familyName sw "Jen""#, true),
        (#"name.formatted co "Barbara J""#, true),
        (#"displayName eq "babs jensen""#, true),
        ("active eq true", true),
        ("active eq false", false),
        ("active ne false", true),
        (#"active eq "True""#, true),
        ("userName pr", true),
        ("emails pr", true),
        ("userName eq null", false),
        ("userName ne null", true),
    ])
    func comparisons(filter: String, expected: Bool) throws {
        #expect(try matches(filter) == expected, "\(filter)")
    }

    @Test(arguments: [
        (#"emails eq "babs@jensen.org""#, true),                     // a multi-valued complex attribute compares its value
        (#"emails.value eq "BABS@jensen.org""#, true),              // emails.value is not caseExact
        (#"emails.type eq "home""#, true),                          // any value matches
        (#"emails.type eq "other""#, false),
        (#"emails.type ne "work""#, true),                          // the home address is not "work"
        ("emails.primary eq true", true),
        (#"emails[type eq "work" and value co "@example.com"]"#, true),
        (#"emails[type eq "home" and value co "@example.com"]"#, false), // both conditions on the same value
        (#"emails[TYPE eq "WORK"]"#, true),
        (#"emails[type eq "work"].value eq "bjensen@example.com""#, true),
        (#"emails[type eq "home"].value eq "bjensen@example.com""#, false),
        (#"emails[not (type eq "work")]"#, true),
        ("emails[primary eq true]", true),
        (#"name[givenName eq "Barbara"]"#, true),
    ])
    func multiValued(filter: String, expected: Bool) throws {
        #expect(try matches(filter) == expected, "\(filter)")
    }

    @Test(arguments: [
        (#"meta.created gt "2011-01-01T00:00:00Z""#, true),
        (#"meta.created lt "2011-08-01T18:29:49.794Z""#, true),     // fractional seconds compared as dates
        (#"meta.created eq "2011-08-01T20:29:49.793+02:00""#, true), // the same instant in another offset
        (#"meta.lastModified ge "2011-08-01T18:29:49Z""#, true),
        (#"meta.lastModified gt "2011-08-01T18:29:49Z""#, false),
    ])
    func dates(filter: String, expected: Bool) throws {
        #expect(try matches(filter) == expected, "\(filter)")
    }

    @Test func unassignedAttributes() throws {
        let minimal: JSONValue = ["id": "1", "userName": "x", "displayName": "", "emails": []]
        #expect(try !matches("displayName pr", minimal))                // an empty string is not present
        #expect(try !matches("emails pr", minimal))
        #expect(try !matches("name.givenName pr", minimal))
        #expect(try matches("name.givenName eq null", minimal))
        #expect(try matches(#"name.givenName ne "x""#, minimal))         // an unassigned attribute is not equal
        #expect(try !matches(#"name.givenName eq "x""#, minimal))
        #expect(try !matches(#"externalId gt "a""#, minimal))
    }

    @Test func precedenceIsNotThenAndThenOr() throws {
        // false and false or true → (false and false) or true → true
        #expect(try matches(#"userName eq "x" and userName eq "y" or userName pr"#))
        // true or false and false → true or (false and false) → true
        #expect(try matches(#"userName pr or userName eq "x" and userName eq "y""#))
        // parentheses regroup: (true or false) and false → false
        #expect(try !matches(#"(userName pr or userName eq "x") and userName eq "y""#))
        #expect(try !matches(#"not (userName pr) and userName pr"#))
        #expect(try matches(#"not (userName pr and externalId eq "other")"#))
        #expect(try matches(#"not(externalId eq "other")"#))
    }

    @Test func injectionAttemptIsOneComparison() throws {
        let filter = try SCIMFilter.parse(#"userName eq "x\" or 1 eq 1""#, for: .user)
        #expect(!filter.matches(barbara))
        let tricky: JSONValue = ["id": "1", "userName": #"x" or 1 eq 1"#]
        #expect(filter.matches(tricky))
    }

    @Test func stringEscapesAreJSON() throws {
        let resource: JSONValue = ["id": "1", "userName": "a\\b\u{e9}\""]
        #expect(try matches(#"userName eq "a\\b\u00e9\"""#, resource))
        #expect(try matches(#"userName eq "A\\B\u00C9\"""#, resource))
    }

    @Test func groupFilters() throws {
        let group: JSONValue = [
            "id": "e9e30dba", "displayName": "Tour Guides",
            "members": [["value": "2819c223", "type": "User"], ["value": "902c246b", "type": "User"]],
        ]
        #expect(try matches(#"displayName eq "tour guides""#, group, .group))
        #expect(try matches(#"members eq "902c246b""#, group, .group))
        #expect(try matches(#"members.value eq "2819c223""#, group, .group))
        #expect(try !matches(#"members.value eq "2819C223""#, group, .group)) // members.value is caseExact
        #expect(try matches(#"members[value eq "902c246b"]"#, group, .group))
        #expect(try !matches(#"members pr"#, ["id": "g", "displayName": "Empty", "members": []], .group))
    }

    @Test(arguments: [
        #"title eq "x""#,                                          // not whitelisted
        #"nickName eq "x""#,
        #"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x""#,
        #"emails.display eq "x""#,
        #"addresses[type eq "work"]"#,
        #"name eq "x""#,                                           // complex without a value sub-attribute
        #"password eq "x""#,
        #"members eq "x""#,                                        // a Group attribute on a User
        #"unknown eq "x""#,
        #"urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x""#,
    ])
    func refusesAttributesOutsideTheWhitelist(filter: String) {
        #expect(scimType { _ = try SCIMFilter.parse(filter, for: .user) } == "invalidFilter", "\(filter)")
    }

    @Test func groupWhitelist() {
        #expect(scimType { _ = try SCIMFilter.parse(#"userName eq "x""#, for: .group) } == "invalidFilter")
        #expect(scimType { _ = try SCIMFilter.parse(#"members.type eq "User""#, for: .group) } == "invalidFilter")
    }

    @Test(arguments: [
        "",
        "userName",
        "userName eq",
        #"userName eq "x" and"#,
        #"userName xx "x""#,
        #"userName eq "unterminated"#,
        #"userName eq "bad \q escape""#,
        #"(userName eq "x""#,
        #"userName eq "x")"#,
        #"not userName eq "x""#,                                   // not needs parentheses
        #"emails[type eq "work""#,
        #"emails[type eq "work"]]"#,
        #"emails[emails[type eq "work"]]"#,
        #"emails[type eq "work"].nope eq "x""#,
        #"userName eq "x" "y""#,
        "userName eq 12",                                          // a string attribute compared with a number
        "userName eq true",
        #"active eq "yes""#,
        "active gt true",                                          // booleans have no order
        #"meta.created gt "yesterday""#,
        #"meta.created co "2011""#,
        "userName gt null",
        #"userName eq 'x'"#,
        #"userName eq "x" ; drop"#,
        "userName eq 1e999x",
        "userName eq --1",
    ])
    func refusesBadSyntax(filter: String) {
        #expect(scimType { _ = try SCIMFilter.parse(filter, for: .user) } == "invalidFilter", "\(filter)")
    }

    @Test func boundsNestingAndLength() throws {
        let nested = String(repeating: "(", count: 64) + "userName pr" + String(repeating: ")", count: 64)
        #expect(try matches(nested))
        let tooDeep = String(repeating: "(", count: 65) + "userName pr" + String(repeating: ")", count: 65)
        #expect(scimType { _ = try SCIMFilter.parse(tooDeep, for: .user) } == "invalidFilter")
        let notNested = String(repeating: "not (", count: 100) + "userName pr" + String(repeating: ")", count: 100)
        #expect(scimType { _ = try SCIMFilter.parse(notNested, for: .user) } == "invalidFilter")
        let long = #"userName eq ""# + String(repeating: "a", count: 5000) + #"""#
        #expect(scimType { _ = try SCIMFilter.parse(long, for: .user) } == "invalidFilter")
        let manyTerms = Array(repeating: "userName pr", count: 250).joined(separator: " and ")
        #expect(try matches(manyTerms))
    }

    @Test func neverCrashesOnArbitraryInput() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["(", ")", "[", "]", "\"", "\\", " ", "eq", "and", "or", "not", "pr", "userName", "emails", ".value", "1", "-",
                      "true", "null", "\u{0}", "é", "urn:ietf:params:scim:schemas:core:2.0:User:", "$ref", "..", ":"]
        for _ in 0..<2000 {
            let text = (0..<Int.random(in: 0...20, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            if let filter = try? SCIMFilter.parse(text, for: .user) { _ = filter.matches(barbara) }
            _ = try? SCIMFilter.parse(text, for: .group)
        }
    }

    @Test func valuesOfTheWrongTypeDoNotMatch() throws {
        let odd: JSONValue = ["id": 5, "userName": ["nested": true], "active": "yes", "emails": "not-an-array"]
        #expect(try !matches(#"id eq "5""#, odd))
        #expect(try !matches(#"userName eq "x""#, odd))
        #expect(try !matches("active eq true", odd))
        #expect(try !matches(#"emails.value eq "x""#, odd))
        #expect(try !matches(#"emails[type eq "work"]"#, .null))
    }
}
