import GatehouseJSON

/// The recursive-descent parser of RFC 7644 §3.4.2.2 filters, also used for the value filters
/// of PATCH paths (§3.5.2). Precedence: `not` over `and` over `or`.
struct SCIMFilterParser {
    enum Mode {
        /// A `filter` query parameter: whitelisted attributes only; errors are `invalidFilter`.
        case query
        /// A PATCH path: any sub-attribute inside brackets; errors are `invalidPath`.
        case patchPath
    }

    enum Token: Equatable {
        case word(String), literal(JSONValue), open, close, openBracket, closeBracket
    }

    /// Bounds that keep hostile filters cheap: input bytes and nesting of parentheses and brackets.
    static let maxLength = 4096
    static let maxDepth = 64

    let type: SCIMResourceType
    let mode: Mode
    private var tokens: [Token] = []
    private var index = 0
    private var depth = 0

    init(_ text: String, type: SCIMResourceType, mode: Mode) throws(SCIMError) {
        self.type = type
        self.mode = mode
        tokens = try tokenize(Array(text.utf8))
    }

    /// A whole filter: every token consumed.
    mutating func parseFilter() throws(SCIMError) -> SCIMFilter.Expression {
        let expression = try parseOr(scope: nil)
        guard index == tokens.count else { throw fail("unexpected text after the filter") }
        return expression
    }

    /// A PATCH path: `attrPath`, or `attrPath[valFilter]` optionally followed by `.subAttr`.
    mutating func parsePatchPath() throws(SCIMError) -> SCIMPatchPath {
        guard case .word(let name)? = next(), let reference = SCIMAttributeReference(name, in: type) else {
            throw fail("unknown attribute or malformed path")
        }
        var path = SCIMPatchPath(reference: reference, filter: nil)
        if accept(.openBracket) {
            guard let attribute = reference.attribute, attribute.multiValued, reference.subAttribute == nil else {
                throw fail("'\(reference.description)' is not a multi-valued complex attribute")
            }
            let filter = try parseEnclosed(until: .closeBracket, scope: reference)
            var sub: SCIMAttribute?
            if case .word(let word)? = peek(), word.hasPrefix(".") {
                index += 1
                guard let found = attribute.subAttribute(word.dropFirst()) else { throw fail("unknown sub-attribute '\(word)'") }
                sub = found
            }
            path = SCIMPatchPath(reference: SCIMAttributeReference(extensionURN: reference.extensionURN, attribute: attribute, subAttribute: sub),
                                 filter: filter)
        }
        guard index == tokens.count else { throw fail("malformed path") }
        return path
    }

    // MARK: Grammar

    private mutating func parseOr(scope: SCIMAttributeReference?) throws(SCIMError) -> SCIMFilter.Expression {
        var terms = [try parseAnd(scope: scope)]
        while acceptKeyword("or") { terms.append(try parseAnd(scope: scope)) }
        return terms.count == 1 ? terms[0] : .or(terms)
    }

    private mutating func parseAnd(scope: SCIMAttributeReference?) throws(SCIMError) -> SCIMFilter.Expression {
        var terms = [try parseUnary(scope: scope)]
        while acceptKeyword("and") { terms.append(try parseUnary(scope: scope)) }
        return terms.count == 1 ? terms[0] : .and(terms)
    }

    private mutating func parseUnary(scope: SCIMAttributeReference?) throws(SCIMError) -> SCIMFilter.Expression {
        if acceptKeyword("not") {
            guard accept(.open) else { throw fail("'not' must be followed by '('") }
            return .not(try parseEnclosed(until: .close, scope: scope))
        }
        if accept(.open) { return try parseEnclosed(until: .close, scope: scope) }
        return try parseAttributeExpression(scope: scope)
    }

    /// The inside of `( … )` or `[ … ]`, the opening token already read; inside brackets, the
    /// operands are sub-attributes of `scope`.
    private mutating func parseEnclosed(until closing: Token, scope: SCIMAttributeReference?) throws(SCIMError) -> SCIMFilter.Expression {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) levels deep") }
        let expression = try parseOr(scope: scope)
        guard accept(closing) else { throw fail(closing == .close ? "missing ')'" : "missing ']'") }
        depth -= 1
        return expression
    }

    /// `attr op value`, `attr pr`, or (outside brackets) `attr[filter]`, optionally `.sub op value`.
    private mutating func parseAttributeExpression(scope: SCIMAttributeReference?) throws(SCIMError) -> SCIMFilter.Expression {
        guard case .word(let name)? = next() else { throw fail("expected an attribute name") }
        guard scope == nil, accept(.openBracket) else { return try parseComparison(try operand(name, scope: scope)) }
        guard let reference = SCIMAttributeReference(name, in: type), let attribute = reference.attribute,
              reference.subAttribute == nil, attribute.kind == .complex
        else { throw fail("'\(name)' is not a complex attribute") }
        var condition = try parseEnclosed(until: .closeBracket, scope: reference)
        if case .word(let word)? = peek(), word.hasPrefix(".") {
            index += 1
            condition = .and([condition, try parseComparison(try operand(String(word.dropFirst()), scope: reference))])
        }
        return .valuePath(reference.keyPath, condition)
    }

    /// Resolves an attribute name, at the top level or relative to the value filter's attribute.
    private func operand(_ name: String, scope: SCIMAttributeReference?) throws(SCIMError) -> SCIMFilter.Operand {
        let reference: SCIMAttributeReference?
        if let parent = scope?.attribute {
            reference = parent.subAttribute(name).map {
                SCIMAttributeReference(extensionURN: scope?.extensionURN, attribute: parent, subAttribute: $0)
            }
        } else {
            reference = SCIMAttributeReference(name, in: type)
        }
        guard let reference, let leaf = reference.leaf, mode == .patchPath || SCIMFilter.isFilterable(reference.keyPath, in: type) else {
            throw fail("'\(name)' is not an attribute that can be filtered on")
        }
        return SCIMFilter.Operand(keyPath: scope == nil ? reference.keyPath : [leaf.name], attribute: leaf)
    }

    /// The operator and value after an attribute, checked against the attribute's type.
    private mutating func parseComparison(_ operand: SCIMFilter.Operand) throws(SCIMError) -> SCIMFilter.Expression {
        guard case .word(let word)? = next() else { throw fail("expected an operator") }
        if word.lowercased() == "pr" { return .present(operand) }
        guard let op = SCIMFilter.Operator(rawValue: word.lowercased()) else { throw fail("unknown operator '\(word)'") }
        let literal: JSONValue
        switch next() {
        case .literal(let value)?: literal = value
        case .word(let keyword)? where keyword.lowercased() == "true": literal = true
        case .word(let keyword)? where keyword.lowercased() == "false": literal = false
        case .word(let keyword)? where keyword.lowercased() == "null": literal = .null
        default: throw fail("expected a value after '\(word)'")
        }
        return try comparison(operand, op, literal)
    }

    private func comparison(_ operand: SCIMFilter.Operand, _ op: SCIMFilter.Operator,
                            _ literal: JSONValue) throws(SCIMError) -> SCIMFilter.Expression {
        var operand = operand
        let name = operand.keyPath.joined(separator: ".")
        // A complex attribute compared as a whole compares its "value" (RFC 7644 §3.4.2.2).
        if operand.attribute.kind == .complex {
            guard let value = operand.attribute.subAttribute("value") else { throw fail("'\(name)' cannot be compared") }
            operand = SCIMFilter.Operand(keyPath: operand.keyPath + [value.name], attribute: value)
        }
        if literal == .null {
            switch op {
            case .eq: return .not(.present(operand))
            case .ne: return .present(operand)
            default: throw fail("null can only be compared with eq or ne")
            }
        }
        switch operand.attribute.kind {
        case .boolean:
            guard op == .eq || op == .ne, let flag = SCIMValue.boolean(literal) else {
                throw fail("'\(name)' is a boolean: compare it with eq or ne and true or false")
            }
            return .compare(operand, op, .bool(flag))
        case .dateTime:
            guard case .string(let text) = literal, SCIMDate.parse(text) != nil, ![.co, .sw, .ew].contains(op) else {
                throw fail("'\(name)' is a date: compare it with eq, ne, gt, ge, lt or le and an ISO 8601 date")
            }
        case .string, .reference, .complex:
            guard case .string = literal else { throw fail("'\(name)' is a string: compare it with a string") }
        }
        return .compare(operand, op, literal)
    }

    // MARK: Tokens

    private func fail(_ detail: String) -> SCIMError {
        switch mode {
        case .query: .invalidFilter(detail)
        case .patchPath: .invalidPath(detail)
        }
    }

    private func peek() -> Token? { index < tokens.count ? tokens[index] : nil }

    private mutating func next() -> Token? {
        defer { index += 1 }
        return peek()
    }

    private mutating func accept(_ token: Token) -> Bool {
        guard peek() == token else { return false }
        index += 1
        return true
    }

    private mutating func acceptKeyword(_ keyword: String) -> Bool {
        guard case .word(let word)? = peek(), word.lowercased() == keyword else { return false }
        index += 1
        return true
    }

    private func tokenize(_ bytes: [UInt8]) throws(SCIMError) -> [Token] {
        guard bytes.count <= Self.maxLength else { throw fail("longer than \(Self.maxLength) bytes") }
        var tokens: [Token] = []
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): i += 1
            case UInt8(ascii: "("): tokens.append(.open); i += 1
            case UInt8(ascii: ")"): tokens.append(.close); i += 1
            case UInt8(ascii: "["): tokens.append(.openBracket); i += 1
            case UInt8(ascii: "]"): tokens.append(.closeBracket); i += 1
            case UInt8(ascii: "\""):
                // A JSON string: find its closing quote, then let the JSON parser decode the escapes.
                var end = i + 1
                while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1 }
                guard end < bytes.count, case .string(let text)? = try? JSONValue.parse(bytes[i...end]) else {
                    throw fail("unterminated or invalid string")
                }
                tokens.append(.literal(.string(text)))
                i = end + 1
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var end = i + 1
                while end < bytes.count, Self.isNumberByte(bytes[end]) { end += 1 }
                guard case .number(let number)? = try? JSONValue.parse(bytes[i..<end]) else { throw fail("invalid number") }
                tokens.append(.literal(.number(number)))
                i = end
            default:
                guard Self.isNameByte(byte) else { throw fail("unexpected character at byte \(i)") }
                var end = i + 1
                while end < bytes.count, Self.isNameByte(bytes[end]) { end += 1 }
                tokens.append(.word(String(decoding: bytes[i..<end], as: UTF8.self)))
                i = end
            }
        }
        return tokens
    }

    /// Attribute names, URNs (`urn:…:2.0:User:name.givenName`), `$ref`, operators and keywords.
    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "."), UInt8(ascii: "$"): true
        default: false
        }
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
             UInt8(ascii: "+"), UInt8(ascii: "-"): true
        default: false
        }
    }
}
