import GatehouseJSON

/// One call from the host: which entry of the manifest it is for, and the request envelope.
public struct PluginCall: Sendable {
    public enum Kind: Sendable, Equatable {
        case endpoint(Int), beforeHook(Int), afterHook(Int), middleware(Int), onRequest, onResponse
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
    public var session: JSONValue? { envelope["session"]?.nonNull }
    public var newSession: JSONValue? { envelope["newSession"]?.nonNull }
    /// The answer so far (after-hooks and onResponse).
    public var response: JSONValue? { envelope["response"] }

    /// A request header by lower-case name.
    public func header(_ name: String) -> String? { envelope["headers"]?[name.lowercased()]?.stringValue }
    public func query(_ name: String) -> String? { envelope["query"]?[name]?.stringValue }
    public func param(_ name: String) -> String? { envelope["params"]?[name]?.stringValue }
}
