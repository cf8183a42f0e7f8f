import GatehouseJSON
import PluginKit
import SCIMProtocol

/// The SCIM 2.0 API below `/scim/v2/` (RFC 7644): bearer authentication, routing (404 for an
/// unknown path, 405 for a method a known path does not take, 501 for search by POST and bulk),
/// listing with filter, paging and projection, and every refusal as a SCIM error.
struct SCIMAPI: Sendable {
    let connections: Connections
    let users: UserProvisioning
    let groups: GroupProvisioning
    /// The absolute SCIM root, `{baseURL}{basePath}/scim/v2`.
    let root: String

    static let maxResults = 100

    func serve(_ call: PluginCall) -> PluginAnswer {
        do {
            guard let connection = try connections.authenticate(call.header("authorization")) else {
                throw SCIMError(status: 401, scimType: nil, detail: "A valid SCIM bearer token is required")
            }
            return try route(SCIMRequest(call), connection)
        } catch let error as SCIMError {
            return SCIMAnswer.error(error)
        } catch let error as PluginError {
            if error.status >= 500 { connections.host.log(.error, "SCIM \(call.method) failed: \(error.code) \(error.message)") }
            return SCIMAnswer.error(error.scim)
        } catch {
            connections.host.log(.error, "SCIM \(call.method) failed: \(error)")
            return SCIMAnswer.error(SCIMError(status: 500, scimType: nil, detail: "Provisioning failed"))
        }
    }

    private func route(_ request: SCIMRequest, _ connection: SCIMConnection) throws -> PluginAnswer {
        let segments = request.segments
        let head = segments[0].lowercased()
        switch head {
        case "serviceproviderconfig" where segments.count == 1:
            try allow(["GET"], request)
            return SCIMAnswer.json(SCIMDiscovery.serviceProviderConfig(baseURL: root))
        case "schemas" where segments.count <= 2:
            try allow(["GET"], request)
            return try discovery(SCIMDiscovery.schemas(baseURL: root), id: segments.dropFirst().first)
        case "resourcetypes" where segments.count <= 2:
            try allow(["GET"], request)
            return try discovery(SCIMDiscovery.resourceTypes(baseURL: root), id: segments.dropFirst().first)
        case ".search" where segments.count == 1, "bulk" where segments.count == 1:
            throw SCIMError(status: 501, scimType: nil, detail: "\(segments[0]) is not supported")
        case "users" where segments.count <= 2, "groups" where segments.count <= 2:
            let collection: any ResourceCollection = head == "users" ? users : groups
            guard segments.count == 2 else { return try collectionRoute(collection, request, connection) }
            return try resourceRoute(collection, id: segments[1], request, connection)
        default:
            throw SCIMError(status: 404, scimType: nil, detail: "No SCIM endpoint at /\(segments.joined(separator: "/"))")
        }
    }

    private func allow(_ methods: Set<String>, _ request: SCIMRequest) throws {
        guard methods.contains(request.method) else {
            throw SCIMError(status: 405, scimType: nil, detail: "\(request.method) is not allowed here")
        }
    }

    /// `/Schemas`, `/ResourceTypes`: the list, or the one whose `id` is given.
    private func discovery(_ resources: [JSONValue], id: String?) throws -> PluginAnswer {
        guard let id else { return SCIMAnswer.json(SCIMAnswer.list(resources, total: resources.count, startIndex: 1)) }
        guard let resource = resources.first(where: { $0["id"]?.stringValue == id }) else {
            throw SCIMError(status: 404, scimType: nil, detail: "\(id) not found")
        }
        return SCIMAnswer.json(resource)
    }

    private func collectionRoute(_ collection: any ResourceCollection, _ request: SCIMRequest, _ connection: SCIMConnection) throws -> PluginAnswer {
        try allow(["GET", "POST"], request)
        if request.method == "POST" {
            let document = try SCIMResourceInput.normalize(try request.body(), as: collection.type)
            return SCIMAnswer.created(project(try collection.create(document, in: connection), collection.type, request))
        }
        let filter = try request.query("filter").map { try SCIMFilter.parse($0, for: collection.type) }
        let matching = try collection.all(in: connection).filter { filter?.matches($0) ?? true }
        let startIndex = max(1, try integer("startIndex", request) ?? 1)
        let count = min(Self.maxResults, max(0, try integer("count", request) ?? Self.maxResults))
        let page = matching.dropFirst(startIndex - 1).prefix(count).map { project($0, collection.type, request) }
        return SCIMAnswer.json(SCIMAnswer.list(Array(page), total: matching.count, startIndex: startIndex))
    }

    private func resourceRoute(_ collection: any ResourceCollection, id: String, _ request: SCIMRequest,
                               _ connection: SCIMConnection) throws -> PluginAnswer {
        if id == ".search" { throw SCIMError(status: 501, scimType: nil, detail: ".search is not supported; filter with GET") }
        try allow(["GET", "PUT", "PATCH", "DELETE"], request)
        switch request.method {
        case "GET":
            return SCIMAnswer.json(project(try collection.output(id, in: connection), collection.type, request))
        case "PUT":
            let body = try request.body()
            _ = try collection.document(id, in: connection)
            let document = try SCIMResourceInput.normalize(body, as: collection.type)
            return SCIMAnswer.json(project(try collection.replace(id, with: document, previous: nil, in: connection), collection.type, request))
        case "PATCH":
            let body = try request.body()
            let previous = try collection.document(id, in: connection)
            let document = try SCIMPatch.apply(body, to: previous, as: collection.type)
            return SCIMAnswer.json(project(try collection.replace(id, with: document, previous: previous, in: connection), collection.type, request))
        default:
            try collection.delete(id, in: connection)
            return SCIMAnswer.noContent
        }
    }

    private func project(_ resource: JSONValue, _ type: SCIMResourceType, _ request: SCIMRequest) -> JSONValue {
        SCIMProjection.project(resource, attributes: request.query("attributes"), excludedAttributes: request.query("excludedAttributes"), as: type)
    }

    private func integer(_ name: String, _ request: SCIMRequest) throws -> Int? {
        guard let text = request.query(name) else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw SCIMError(scimType: "invalidValue", detail: "\(name) must be an integer")
        }
        return value
    }
}
