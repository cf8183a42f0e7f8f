import GatehouseJSON
import PluginKit
import SCIMProtocol

/// SCIM 2.0 provisioning (RFC 7643/7644) like Better Auth's `@better-auth/scim`: 1.6's token
/// routes, 1.7's API with Groups. Identity providers create, update, deactivate and delete
/// Gatehouse users, the members of an organization, and its teams. Filters are parsed into a
/// syntax tree over a whitelist of attributes (SCIMProtocol), never into SQL.
struct SCIMPlugin: GatehousePlugin {
    static let id = "scim"
    static let version = "0.1.0"
    static let name = "SCIM"
    static let manifest = SCIMManifest.json

    let connections: Connections
    let api: SCIMAPI

    init(host: PluginHost, settings: JSONValue) throws {
        if let unknown = settings.objectValue?.keys.first {
            throw PluginError(code: "INVALID_SETTINGS", message: "plugins.scim.\(unknown) is not a setting of the scim plugin")
        }
        let info = try host.call("host.info", [:])
        let site = ResourceLocation(root: (info["baseURL"]?.stringValue ?? "") + (info["basePath"]?.stringValue ?? "") + "/scim/v2")
        let db = PluginDatabase(host: host)
        let organizations = OrganizationAccess(host: host)
        connections = Connections(host: host, db: db, organizations: organizations)
        let users = UserProvisioning(host: host, db: db, site: site, organizations: organizations)
        let groups = GroupProvisioning(db: db, site: site, users: users, teams: TeamGroups(organizations: organizations))
        api = SCIMAPI(connections: connections, users: users, groups: groups, root: site.root)
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        guard case .endpoint(let index) = call.kind, let route = SCIMManifest.Route(rawValue: index) else {
            return .error(status: 404, code: "NOT_FOUND", message: "Not found")
        }
        switch route {
        case .generateToken: return try connections.generateToken(call.body, userID: try Self.caller(call))
        case .listConnections: return try connections.list(userID: try Self.caller(call))
        case .getConnection: return try connections.get(call.query("providerId"), userID: try Self.caller(call))
        case .deleteConnection: return try connections.delete(call.body["providerId"]?.stringValue, userID: try Self.caller(call))
        case .scimGet, .scimPost, .scimPut, .scimPatch, .scimDelete: return api.serve(call)
        }
    }

    private static func caller(_ call: PluginCall) throws -> String {
        guard let userID = call.session?["user"]?["id"]?.stringValue else {
            throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized")
        }
        return userID
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: SCIMPlugin.self) }
