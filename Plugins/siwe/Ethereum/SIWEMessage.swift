import Foundation

/// An EIP-4361 "Sign-In with Ethereum" message, parsed strictly by the EIP's ABNF: the fixed
/// line order, `Version: 1`, an EIP-55 address, a nonce of 8+ alphanumerics, RFC 3339 times,
/// LF line ends only and nothing after the last field.
public struct SIWEMessage: Sendable, Equatable {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public let scheme: String?
    public let domain: String
    public let address: EthereumAddress
    public let statement: String?
    public let uri: String
    public let version: String
    public let chainID: Int
    public let nonce: String
    public let issuedAt: Date
    public let expirationTime: Date?
    public let notBefore: Date?
    public let requestID: String?
    public let resources: [String]

    private static let preamble = " wants you to sign in with your Ethereum account:"

    public init(parsing text: String) throws(ParseError) {
        func fail(_ reason: String) -> ParseError { ParseError(reason: reason) }
        guard !text.contains("\r") else { throw fail("lines must end with LF only") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[...]

        guard let header = lines.popFirst(), header.hasSuffix(Self.preamble) else { throw fail("the first line must end with \"\(Self.preamble)\"") }
        var origin = String(header.dropLast(Self.preamble.count))
        if let separator = origin.range(of: "://") {
            let scheme = String(origin[..<separator.lowerBound])
            guard Self.isScheme(scheme) else { throw fail("invalid scheme") }
            self.scheme = scheme
            origin = String(origin[separator.upperBound...])
        } else {
            scheme = nil
        }
        guard Self.isAuthority(origin) else { throw fail("invalid domain") }
        domain = origin

        guard let addressLine = lines.popFirst(), let address = EthereumAddress(addressLine, strict: true) else {
            throw fail("the address must be 0x and 40 hex digits with an EIP-55 checksum")
        }
        self.address = address
        guard lines.popFirst() == "" else { throw fail("a blank line must follow the address") }
        if lines.first == "" {
            statement = nil
        } else {
            guard let line = lines.popFirst(), Self.isStatement(line) else { throw fail("invalid statement") }
            statement = line
        }
        guard lines.popFirst() == "" else { throw fail("a blank line must follow the statement") }

        func field(_ name: String) throws(ParseError) -> String {
            guard let line = lines.popFirst(), line.hasPrefix(name + ": ") else { throw fail("expected \"\(name): \"") }
            return String(line.dropFirst(name.count + 2))
        }
        func optionalField(_ name: String) -> String? {
            guard let line = lines.first, line.hasPrefix(name + ": ") else { return nil }
            lines.removeFirst()
            return String(line.dropFirst(name.count + 2))
        }
        uri = try field("URI")
        guard Self.isURI(uri) else { throw fail("invalid URI") }
        version = try field("Version")
        guard version == "1" else { throw fail("Version must be 1") }
        let chain = try field("Chain ID")
        guard !chain.isEmpty, chain.utf8.count <= 18, chain.allSatisfy(\.isASCIIDigit), let chainID = Int(chain) else { throw fail("invalid Chain ID") }
        self.chainID = chainID
        nonce = try field("Nonce")
        guard nonce.count >= 8, nonce.allSatisfy({ $0.isASCIIDigit || $0.isASCIILetter }) else { throw fail("the nonce must be 8 or more letters and digits") }
        issuedAt = try Self.date(try field("Issued At"), "Issued At")
        expirationTime = try optionalField("Expiration Time").map { (text) throws(ParseError) in try Self.date(text, "Expiration Time") }
        notBefore = try optionalField("Not Before").map { (text) throws(ParseError) in try Self.date(text, "Not Before") }
        requestID = optionalField("Request ID")
        if let requestID, !requestID.allSatisfy(Self.isPathCharacter) { throw fail("invalid Request ID") }
        var resources: [String] = []
        if lines.first == "Resources:" {
            lines.removeFirst()
            while let line = lines.first, line.hasPrefix("- ") {
                lines.removeFirst()
                let resource = String(line.dropFirst(2))
                guard Self.isURI(resource) else { throw fail("invalid resource URI") }
                resources.append(resource)
            }
        }
        self.resources = resources
        guard lines.isEmpty else { throw fail("unexpected line \"\(lines.first ?? "")\"") }
    }

    /// RFC 3339 `date-time`: a full date, a time with an optional fraction, and `Z` or an offset.
    /// The shape is checked before Foundation's parser sees the text: ICU divides by zero (SIGFPE,
    /// the whole server) on a fraction like `.0e777…` (found by the SIWE fuzz target).
    private static func date(_ text: String, _ name: String) throws(ParseError) -> Date {
        guard text.wholeMatch(of: /[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})/) != nil else {
            throw ParseError(reason: "\(name) is not an RFC 3339 date-time")
        }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        throw ParseError(reason: "\(name) is not an RFC 3339 date-time")
    }

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    private static let subDelimiters = Set("!$&'()*+,;=")
    private static let reserved = Set(":/?#[]@").union(subDelimiters)

    private static func isScheme(_ text: String) -> Bool {
        guard let first = text.first, first.isASCIILetter else { return false }
        return text.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || "+-.".contains($0) }
    }

    /// RFC 3986 authority: `[userinfo@]host[:port]`, with a bracketed IPv6 host allowed.
    private static func isAuthority(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { unreserved.contains($0) || subDelimiters.contains($0) || ":@[]%".contains($0) }
    }

    private static func isStatement(_ text: String) -> Bool {
        text.allSatisfy { unreserved.contains($0) || reserved.contains($0) || $0 == " " }
    }

    /// An RFC 3986 URI: a scheme, ":", then URI characters only.
    private static func isURI(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":"), isScheme(String(text[..<colon])) else { return false }
        return text.allSatisfy { unreserved.contains($0) || reserved.contains($0) || $0 == "%" }
    }

    private static func isPathCharacter(_ c: Character) -> Bool { unreserved.contains(c) || subDelimiters.contains(c) || ":@%".contains(c) }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILetter: Bool { isASCII && isLetter }
}
