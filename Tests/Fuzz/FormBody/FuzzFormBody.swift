import FuzzSupport
import HTTPSyntax

/// `application/x-www-form-urlencoded` bodies and query strings.
@main enum FuzzFormBody: FuzzTarget {
    static func test(_ input: [UInt8]) {
        _ = QueryString.parse(String(decoding: input, as: UTF8.self))
    }
}
