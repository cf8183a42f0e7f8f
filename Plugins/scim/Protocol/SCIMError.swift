import GatehouseJSON
import OrderedCollections

/// A SCIM error response (RFC 7644 §3.12): an HTTP status, an optional `scimType` and a detail.
public struct SCIMError: Error, Sendable, Equatable {
    public static let schema = "urn:ietf:params:scim:api:messages:2.0:Error"

    public let status: Int
    public let scimType: String?
    public let detail: String

    public init(status: Int = 400, scimType: String?, detail: String) {
        self.status = status
        self.scimType = scimType
        self.detail = detail
    }

    /// The error response body; `status` is a string, as RFC 7644 §3.12 shows it.
    public var json: JSONValue {
        var members: OrderedDictionary<String, JSONValue> = ["schemas": [.string(Self.schema)], "status": .string(String(status))]
        if let scimType { members["scimType"] = .string(scimType) }
        members["detail"] = .string(detail)
        return .object(members)
    }

    public static func invalidFilter(_ detail: String) -> SCIMError { SCIMError(scimType: "invalidFilter", detail: detail) }
    public static func invalidSyntax(_ detail: String) -> SCIMError { SCIMError(scimType: "invalidSyntax", detail: detail) }
    public static func invalidValue(_ detail: String) -> SCIMError { SCIMError(scimType: "invalidValue", detail: detail) }
    public static func invalidPath(_ detail: String) -> SCIMError { SCIMError(scimType: "invalidPath", detail: detail) }
    public static func noTarget(_ detail: String) -> SCIMError { SCIMError(scimType: "noTarget", detail: detail) }
    public static func mutability(_ detail: String) -> SCIMError { SCIMError(scimType: "mutability", detail: detail) }
}
