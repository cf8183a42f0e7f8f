import FuzzSupport
import HTTPSyntax

/// Every request's `Cookie` headers; a newline in the input separates two headers.
@main enum FuzzCookieHeader: FuzzTarget {
    static func test(_ input: [UInt8]) {
        _ = CookieHeader.parse(String(decoding: input, as: UTF8.self).split(separator: "\n").map(String.init))
    }
}
