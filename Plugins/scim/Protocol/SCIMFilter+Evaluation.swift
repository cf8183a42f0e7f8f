import Foundation
import GatehouseJSON

extension SCIMFilter.Expression {
    /// Whether a resource (or, inside a value path, one value of a multi-valued attribute)
    /// satisfies the expression. A comparison on a multi-valued attribute holds when any of its
    /// values satisfies it (RFC 7644 §3.4.2.2); `ne` also holds when the attribute is unassigned.
    func matches(_ value: JSONValue) -> Bool {
        switch self {
        case .and(let terms):
            return terms.allSatisfy { $0.matches(value) }
        case .or(let terms):
            return terms.contains { $0.matches(value) }
        case .not(let term):
            return !term.matches(value)
        case .present(let operand):
            return Self.values(at: operand.keyPath, in: value).contains(where: Self.isPresent)
        case .compare(let operand, let op, let literal):
            let actual = Self.values(at: operand.keyPath, in: value)
            return (op == .ne && actual.isEmpty) || actual.contains { Self.compare($0, op, literal, operand.attribute) }
        case .valuePath(let keyPath, let condition):
            return Self.values(at: keyPath, in: value).contains { condition.matches($0) }
        }
    }

    /// The values at a key path, multi-valued attributes flattened; null values left out.
    static func values(at keyPath: [String], in value: JSONValue) -> [JSONValue] {
        var current = [value]
        for key in keyPath {
            current = current.flatMap { item -> [JSONValue] in
                guard case .object(let members) = item, let child = SCIMValue.member(members, key) else { return [] }
                return child.arrayValue ?? [child]
            }
        }
        return current.filter { $0 != .null }
    }

    /// RFC 7644 §3.4.2.2 `pr`: a value that is not null, nor an empty string, array or object.
    private static func isPresent(_ value: JSONValue) -> Bool {
        switch value {
        case .null: false
        case .string(let text): !text.isEmpty
        case .array(let items): !items.isEmpty
        case .object(let members): !members.isEmpty
        default: true
        }
    }

    private static func compare(_ actual: JSONValue, _ op: SCIMFilter.Operator, _ literal: JSONValue, _ attribute: SCIMAttribute) -> Bool {
        switch (actual, literal) {
        case (.bool(let left), .bool(let right)):
            return order(op, left ? 1 : 0, right ? 1 : 0)
        case (.string(let left), .string(let right)) where attribute.kind == .dateTime:
            guard let left = SCIMDate.parse(left), let right = SCIMDate.parse(right) else { return false }
            return order(op, left, right)
        case (.string(let left), .string(let right)):
            let (a, b) = attribute.caseExact ? (left, right) : (left.lowercased(), right.lowercased())
            switch op {
            case .co: return a.contains(b)
            case .sw: return a.hasPrefix(b)
            case .ew: return a.hasSuffix(b)
            default: return order(op, a, b)
            }
        default:
            return false
        }
    }

    private static func order<T: Comparable>(_ op: SCIMFilter.Operator, _ left: T, _ right: T) -> Bool {
        switch op {
        case .eq: left == right
        case .ne: left != right
        case .gt: left > right
        case .ge: left >= right
        case .lt: left < right
        case .le: left <= right
        case .co, .sw, .ew: false
        }
    }
}

/// RFC 7643 §2.3.5 dateTime values (`2024-05-01T12:00:00Z`, fractional seconds and offsets allowed).
enum SCIMDate {
    static func parse(_ text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
    }
}
