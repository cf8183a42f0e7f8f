/// Matches request paths (relative to the base path) for hooks, middlewares and rate-limit rules.
/// `*` matches within one segment, `**` across segments; a pattern without wildcards is exact.
public struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let tokens: [Token]

    private enum Token: Sendable, Hashable {
        case literal([UInt8])
        case segmentWildcard
        case anyWildcard
    }

    public init(_ pattern: String) {
        self.pattern = pattern
        var tokens: [Token] = []
        var literal: [UInt8] = []
        let bytes = Array(pattern.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "*") {
                if !literal.isEmpty { tokens.append(.literal(literal)); literal = [] }
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "*") {
                    tokens.append(.anyWildcard)
                    i += 2
                } else {
                    tokens.append(.segmentWildcard)
                    i += 1
                }
            } else {
                literal.append(bytes[i])
                i += 1
            }
        }
        if !literal.isEmpty { tokens.append(.literal(literal)) }
        self.tokens = tokens
    }

    /// Every path.
    public static let all = PathPattern("/**")

    public var description: String { pattern }

    public func matches(_ path: String) -> Bool {
        Self.match(tokens[...], Array(path.utf8)[...])
    }

    private static func match(_ tokens: ArraySlice<Token>, _ path: ArraySlice<UInt8>) -> Bool {
        guard let first = tokens.first else { return path.isEmpty }
        let rest = tokens.dropFirst()
        switch first {
        case .literal(let bytes):
            guard path.starts(with: bytes) else { return false }
            return match(rest, path.dropFirst(bytes.count))
        case .segmentWildcard, .anyWildcard:
            var index = path.startIndex
            while true {
                if match(rest, path[index...]) { return true }
                guard index < path.endIndex else { return false }
                if first == .segmentWildcard, path[index] == UInt8(ascii: "/") { return false }
                index += 1
            }
        }
    }
}
