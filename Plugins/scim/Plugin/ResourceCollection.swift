import OrderedCollections
import GatehouseJSON
import PluginKit
import SCIMProtocol

/// A SCIM resource collection (`/Users`, `/Groups`) of one connection. Each resource is kept as
/// its SCIM document (attributes as sent, without `id`, `meta`, `schemas`), next to the Gatehouse
/// rows it maps to.
protocol ResourceCollection: Sendable {
    var type: SCIMResourceType { get }
    /// Every resource of the connection, as output, in creation order.
    func all(in connection: SCIMConnection) throws -> [JSONValue]
    /// The stored document of resource `id` (404 when the connection has none).
    func document(_ id: String, in connection: SCIMConnection) throws -> JSONValue
    func output(_ id: String, in connection: SCIMConnection) throws -> JSONValue
    /// Creates a resource from a normalised document; answers its output.
    func create(_ document: JSONValue, in connection: SCIMConnection) throws -> JSONValue
    /// Replaces resource `id`'s document (PUT, and PATCH once applied to `previous`, the stored
    /// document it read); answers its output.
    func replace(_ id: String, with document: JSONValue, previous: JSONValue?, in connection: SCIMConnection) throws -> JSONValue
    func delete(_ id: String, in connection: SCIMConnection) throws
}

/// `meta` and `schemas` of an output resource.
struct ResourceLocation: Sendable {
    /// The absolute SCIM root: `{baseURL}{basePath}/scim/v2`.
    let root: String

    func location(_ type: SCIMResourceType, _ id: String) -> String { root + type.endpoint + "/" + id }

    /// `{schemas, id, …document, meta}` for a stored row (`createdAt`, `updatedAt`).
    func resource(_ type: SCIMResourceType, id: String, document: JSONValue, row: JSONValue) -> JSONValue {
        var resource: OrderedDictionary<String, JSONValue> = [:]
        let attributes = document.objectValue ?? [:]
        let extensions = type.extensionSchemas.filter { urn in attributes.keys.contains(urn) }
        resource["schemas"] = .array(([type.coreSchema] + extensions).map(JSONValue.string))
        resource["id"] = .string(id)
        for (name, value) in attributes { resource[name] = value }
        resource["meta"] = [
            "resourceType": .string(type.name), "created": row["createdAt"] ?? .null,
            "lastModified": row["updatedAt"] ?? row["createdAt"] ?? .null, "location": .string(location(type, id)),
        ]
        return .object(resource)
    }
}

extension Array where Element == JSONValue {
    /// Rows sorted by creation time, then id: a stable order for paging, even for rows created
    /// in the same millisecond.
    var inCreationOrder: [JSONValue] {
        sorted { ($0["createdAt"]?.stringValue ?? "", $0["id"]?.stringValue ?? "") < ($1["createdAt"]?.stringValue ?? "", $1["id"]?.stringValue ?? "") }
    }
}

extension JSONValue {
    /// A document stored as JSON text.
    static func stored(_ text: JSONValue?) -> JSONValue {
        text?.stringValue.flatMap { try? JSONValue.parse($0) } ?? [:]
    }
}
