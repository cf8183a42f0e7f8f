import GatehouseJSON
import PluginKit
import SCIMProtocol

/// A SCIM connection (`scimProvider` row): an identity provider's provisioning channel, owned by
/// an organization (its owners and admins) or, without one, by the user who created it.
struct SCIMConnection: Sendable {
    let id: String
    let providerID: String
    let organizationID: String?
    let userID: String?

    init(_ row: JSONValue) {
        id = row["id"]?.stringValue ?? ""
        providerID = row["providerId"]?.stringValue ?? ""
        organizationID = row["organizationId"]?.stringValue
        userID = row["userId"]?.stringValue
    }

    /// The condition that keeps a query to this connection's records.
    var scope: PluginDatabase.Condition { PluginDatabase.equals("connectionId", .string(id)) }

    var summary: JSONValue {
        ["id": .string(id), "providerId": .string(providerID), "organizationId": organizationID.map(JSONValue.string) ?? .null]
    }
}

/// Better Auth 1.6's token routes and the bearer check of the SCIM API. The token handed out is
/// base64url(`<secret>:<providerId>[:<organizationId>]`); only the unpadded base64url SHA-256 of
/// the secret is stored (`storeSCIMToken: "hashed"`), so a database leak yields no token.
struct Connections: Sendable {
    static let table = "scimProvider"
    static let secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    let host: PluginHost
    let db: PluginDatabase
    let organizations: OrganizationAccess

    /// `POST /scim/generate-token {providerId, organizationId?}` → 201 `{scimToken}`.
    func generateToken(_ body: JSONValue, userID: String) throws -> PluginAnswer {
        let providerID = body["providerId"]?.stringValue ?? ""
        guard !providerID.isEmpty else { throw PluginError(code: "VALIDATION_ERROR", message: "providerId must not be empty") }
        guard !providerID.contains(":") else {
            throw PluginError(code: "PROVIDER_ID_CONTAINS_FORBIDDEN_CHARACTERS", message: "Provider id contains forbidden characters")
        }
        let organizationID = body["organizationId"]?.stringValue
        if let organizationID {
            guard !organizationID.isEmpty, !organizationID.contains(":") else {
                throw PluginError(code: "VALIDATION_ERROR", message: "organizationId is not valid")
            }
            try organizations.requireAdministrator(userID, of: organizationID)
        }
        if let existing = try find(providerID) {
            // Regenerating replaces the token of the caller's own connection; anyone else's providerId is taken.
            guard existing.organizationID == organizationID, try mayManage(existing, userID) else {
                throw Self.takenProviderID
            }
        }
        let secret = host.randomText(32, alphabet: Self.secretAlphabet)
        let stored: JSONValue = .string(Self.digest(secret, host))
        if let existing = try find(providerID) {
            try db.update(Self.table, [PluginDatabase.equals("id", .string(existing.id))], ["scimToken": stored])
        } else {
            do {
                _ = try db.create(Self.table, [
                    "providerId": .string(providerID), "scimToken": stored,
                    "organizationId": organizationID.map(JSONValue.string) ?? .null,
                    "userId": organizationID == nil ? .string(userID) : .null,
                ])
            } catch {
                // A concurrent request created it first: it is that request's connection now.
                guard try find(providerID) == nil else { throw Self.takenProviderID }
                throw error
            }
        }
        let token = Base64URL.encode(Array(([secret, providerID] + (organizationID.map { [$0] } ?? [])).joined(separator: ":").utf8))
        return .json(["scimToken": .string(token)], status: 201)
    }

    /// `GET /scim/list-provider-connections` → `{providers}`: the caller's own and administered ones.
    func list(userID: String) throws -> PluginAnswer {
        let rows = try db.findMany(Self.table, [], orderBy: "providerId").map(SCIMConnection.init)
        return .json(["providers": .array(try rows.filter { try mayManage($0, userID) }.map(\.summary))])
    }

    /// `GET /scim/get-provider-connection?providerId=`.
    func get(_ providerID: String?, userID: String) throws -> PluginAnswer {
        .json(try managed(providerID, userID).summary)
    }

    /// `POST /scim/delete-provider-connection {providerId}`: the token dies with the row; provisioned
    /// users and groups stay (a connection created again under the same providerId finds them).
    func delete(_ providerID: String?, userID: String) throws -> PluginAnswer {
        let connection = try managed(providerID, userID)
        _ = try db.delete(Self.table, [PluginDatabase.equals("id", .string(connection.id))])
        return .json(["success": true])
    }

    /// The connection a bearer token stands for; nil for a missing, malformed, forged, replaced or
    /// deleted token.
    func authenticate(_ authorization: String?) throws -> SCIMConnection? {
        guard let authorization, authorization.count < 4096, authorization.lowercased().hasPrefix("bearer ") else { return nil }
        let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard let decoded = Base64URL.decode(token).flatMap({ String(validating: $0, as: UTF8.self) }) else { return nil }
        let parts = decoded.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, !parts[0].isEmpty, let row = try db.findOne(Self.table, [PluginDatabase.equals("providerId", .string(parts[1]))]) else {
            return nil
        }
        let connection = SCIMConnection(row)
        let claimedOrganization = parts.count == 3 ? parts[2] : nil
        let stored = row["scimToken"]?.stringValue ?? ""
        guard ConstantTime.equal(Self.digest(parts[0], host), stored), claimedOrganization == connection.organizationID else { return nil }
        // An organization's connection ends with the organization.
        if let organizationID = connection.organizationID, try !organizations.exists(organizationID) { return nil }
        return connection
    }

    static let takenProviderID = PluginError(status: 403, code: "FORBIDDEN", message: "This providerId belongs to another owner")

    private static func digest(_ secret: String, _ host: PluginHost) -> String {
        Base64URL.encode(host.hash(.sha256, Array(secret.utf8)) ?? [])
    }

    private func find(_ providerID: String) throws -> SCIMConnection? {
        try db.findOne(Self.table, [PluginDatabase.equals("providerId", .string(providerID))]).map(SCIMConnection.init)
    }

    private func mayManage(_ connection: SCIMConnection, _ userID: String) throws -> Bool {
        guard let organizationID = connection.organizationID else { return connection.userID == userID }
        return try organizations.isAdministrator(userID, of: organizationID)
    }

    /// The connection `providerID` if the caller manages it: 404 when there is none, 403 when it is another's.
    private func managed(_ providerID: String?, _ userID: String) throws -> SCIMConnection {
        guard let providerID, let connection = try find(providerID) else {
            throw PluginError(status: 404, code: "SCIM_PROVIDER_NOT_FOUND", message: "SCIM provider not found")
        }
        guard try mayManage(connection, userID) else {
            throw PluginError(status: 403, code: "FORBIDDEN", message: "You may not manage this SCIM provider")
        }
        return connection
    }
}
