import GatehouseJSON
import PluginKit

/// `plugins.organization` settings, named after Better Auth's options.
struct OrganizationSettings: Sendable {
    let allowUserToCreateOrganization: Bool
    /// Organizations one user may belong to as creator; nil: no limit.
    let organizationLimit: Int?
    let membershipLimit: Int
    let invitationLimit: Int
    let invitationExpiresIn: Int
    let creatorRole: String
    let cancelPendingInvitationsOnReInvite: Bool
    /// Where the invitation email points; `{id}` becomes the invitation id.
    let invitationURL: String
    let teamsEnabled: Bool
    let maximumTeams: Int?
    let maximumMembersPerTeam: Int?
    let dynamicAccessControl: Bool
    let maximumRolesPerOrganization: Int?
    let accessControl: AccessControl

    init(_ json: JSONValue, baseURL: String) throws {
        func int(_ value: JSONValue?, _ key: String) throws -> Int? {
            guard let value = value?.nonNull else { return nil }
            guard let number = value.intValue, number > 0 else {
                throw PluginError(code: "INVALID_SETTING", message: "plugins.organization.\(key) must be a positive whole number")
            }
            return number
        }
        allowUserToCreateOrganization = json["allowUserToCreateOrganization"]?.boolValue ?? true
        organizationLimit = try int(json["organizationLimit"], "organizationLimit")
        membershipLimit = try int(json["membershipLimit"], "membershipLimit") ?? 100
        invitationLimit = try int(json["invitationLimit"], "invitationLimit") ?? 100
        invitationExpiresIn = try int(json["invitationExpiresIn"], "invitationExpiresIn") ?? 48 * 3600
        creatorRole = json["creatorRole"]?.stringValue ?? "owner"
        cancelPendingInvitationsOnReInvite = json["cancelPendingInvitationsOnReInvite"]?.boolValue ?? true
        invitationURL = json["invitationURL"]?.stringValue ?? baseURL + "/accept-invitation/{id}"
        teamsEnabled = json["teams"]?["enabled"]?.boolValue ?? false
        maximumTeams = try int(json["teams"]?["maximumTeams"], "teams.maximumTeams")
        maximumMembersPerTeam = try int(json["teams"]?["maximumMembersPerTeam"], "teams.maximumMembersPerTeam")
        dynamicAccessControl = json["dynamicAccessControl"]?["enabled"]?.boolValue ?? false
        maximumRolesPerOrganization = try int(json["dynamicAccessControl"]?["maximumRolesPerOrganization"], "dynamicAccessControl.maximumRolesPerOrganization")
        accessControl = try AccessControl(settings: json)
        guard accessControl.roles[creatorRole] != nil else {
            throw PluginError(code: "INVALID_SETTING", message: "plugins.organization.creatorRole \(creatorRole) is not a role")
        }
    }
}
