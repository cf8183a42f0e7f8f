import GatehouseJSON
import PluginKit
import SCIMProtocol

/// The organization plugin's part in SCIM, through its services only (never its tables): who may
/// manage an organization's connections, the membership of provisioned users, and its teams,
/// which an organization connection's SCIM Groups are.
struct OrganizationAccess: Sendable {
    static let plugin = "organization"
    let host: PluginHost

    /// A service of the organization plugin; 400 when the plugin is not loaded.
    func call(_ service: String, _ request: JSONValue) throws -> JSONValue {
        do {
            return try host.callService(plugin: Self.plugin, service: service, request: request)
        } catch is PluginNotLoaded {
            throw PluginError(code: "ORGANIZATION_PLUGIN_NOT_LOADED", message: "Organization connections need the organization plugin")
        }
    }

    /// The roles of `userID` in `organizationID`; nil when not a member.
    func roles(of userID: String, in organizationID: String) throws -> [String]? {
        let answer = try call("getMember", ["organizationId": .string(organizationID), "userId": .string(userID)])
        return answer["member"]?["role"]?.stringValue.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    func exists(_ organizationID: String) throws -> Bool {
        try call("findOrganization", ["id": .string(organizationID)])["organization"]?.nonNull != nil
    }

    func isAdministrator(_ userID: String, of organizationID: String) throws -> Bool {
        let roles = (try? roles(of: userID, in: organizationID)) ?? nil
        return roles.map { $0.contains("owner") || $0.contains("admin") } ?? false
    }

    /// Only an organization's owners and admins create its connections (403 otherwise).
    func requireAdministrator(_ userID: String, of organizationID: String) throws {
        guard try roles(of: userID, in: organizationID) != nil else {
            throw PluginError(status: 403, code: "NOT_A_MEMBER", message: "You are not a member of the organization")
        }
        guard try isAdministrator(userID, of: organizationID) else {
            throw PluginError(status: 403, code: "FORBIDDEN", message: "Insufficient role for this operation")
        }
    }

    /// Provisions `userID` into the organization as a `member`.
    func addMember(_ userID: String, to organizationID: String) throws {
        _ = try call("addMember", ["organizationId": .string(organizationID), "userId": .string(userID), "role": "member"])
    }

    /// Removes the membership before the user goes, so the organization's rules and events apply.
    func removeMember(_ userID: String, from organizationID: String) {
        do {
            _ = try call("removeMember", ["organizationId": .string(organizationID), "userId": .string(userID)])
        } catch {
            host.log(.warning, "SCIM could not remove a member from organization \(organizationID): \(error)")
        }
    }
}

extension PluginError {
    /// A refusal from the host or another plugin, as the SCIM error the client sees.
    var scim: SCIMError {
        switch status {
        case _ where code == "TEAMS_NOT_ENABLED":
            SCIMError(status: 501, scimType: nil, detail: "Groups of an organization connection need plugins.organization.teams.enabled")
        case 404: SCIMError(status: 404, scimType: nil, detail: message)
        case 400...499: SCIMError(status: status, scimType: "invalidValue", detail: message)
        default: SCIMError(status: 500, scimType: nil, detail: "Provisioning failed")
        }
    }
}
