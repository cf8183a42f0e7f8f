import Foundation
import GatehouseJSON

/// One call from the host: which entry of the manifest it is for, and the request envelope.
public struct PluginCall: Sendable {
    public enum Kind: Sendable, Equatable {
        case endpoint(Int), beforeHook(Int), afterHook(Int), middleware(Int), onRequest, onResponse
        /// `events[i]` of the manifest (ABI 1.1): the envelope is `{name, payload, source}`.
        case event(Int)
        /// `jobs[i]` of the manifest (ABI 1.2): the envelope is `{name}`, plus `payload` for
        /// work scheduled with `jobs.schedule`.
        case job(Int)
        /// `services[i]` of the manifest (ABI 1.2): the envelope is `{service, request, caller}`.
        case service(Int)
    }

    public let kind: Kind
    /// The request envelope (docs/plugin-abi.md).
    public let envelope: JSONValue

    public init(kind: Kind, envelope: JSONValue) {
        self.kind = kind
        self.envelope = envelope
    }

    public var method: String { envelope["method"]?.stringValue ?? "" }
    public var path: String { envelope["path"]?.stringValue ?? "" }
    public var body: JSONValue { envelope["body"] ?? .null }
    /// The request body's exact bytes, for an endpoint declared `"rawBody": true` (ABI 1.4) that
    /// lists `rawBody` in its envelope; nil without a body.
    public var rawBody: [UInt8]? {
        envelope["rawBody"]?.stringValue.flatMap { Data(base64Encoded: $0) }.map(Array.init)
    }
    public var session: JSONValue? { envelope["session"]?.nonNull }
    public var newSession: JSONValue? { envelope["newSession"]?.nonNull }
    /// The answer so far (after-hooks and onResponse).
    public var response: JSONValue? { envelope["response"] }

    /// A request header by lower-case name.
    public func header(_ name: String) -> String? { envelope["headers"]?[name.lowercased()]?.stringValue }
    /// The value of cookie `name` (a full name, see `PluginHost.cookieName`) in the request's
    /// `Cookie` header; the first one wins.
    public func cookie(_ name: String) -> String? {
        guard let header = header("cookie") else { return nil }
        for pair in header.split(separator: ";") {
            let trimmed = pair.drop { $0 == " " }
            guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
            return String(trimmed[trimmed.index(after: equals)...])
        }
        return nil
    }

    public func query(_ name: String) -> String? { envelope["query"]?[name]?.stringValue }
    public func param(_ name: String) -> String? { envelope["params"]?[name]?.stringValue }
}

extension PluginCall {
    /// A service request's members as a route's query (ABI 1.2): text, numbers and booleans
    /// spelled as a query string has them, nulls left out; so a route's query parsing (`PageQuery`,
    /// filters) serves the same values given to a service.
    public static func query(from request: JSONValue) -> JSONValue {
        .object((request.objectValue ?? [:]).compactMapValues { $0.nonNull.map { .string($0.stringValue ?? $0.serialized()) } })
    }
}
