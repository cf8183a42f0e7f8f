import GatehouseJSON
import PluginKit

/// Who may manage a provider, and an organization's part in SSO, through the organization plugin's
/// services (never its tables): a provider of an organization belongs to that organization's
/// owners and admins, any other to the user who registered it.
struct OrganizationLink: Sendable {
    static let plugin = "organization"
    let host: PluginHost
    /// The role new SSO users get in the provider's organization.
    let defaultRole: String

    /// The caller's roles in `organizationID`; nil when not a member. Refused (400) when the
    /// organization plugin is not loaded or the organization does not exist.
    func roles(of userID: String, in organizationID: String) throws -> [String]? {
        let answer: JSONValue
        do {
            answer = try host.callService(plugin: Self.plugin, service: "getMember",
                                          request: ["organizationId": .string(organizationID), "userId": .string(userID)])
        } catch is PluginNotLoaded {
            throw PluginError(code: "ORGANIZATION_PLUGIN_NOT_LOADED", message: "Organization providers need the organization plugin")
        } catch let error as PluginError {
            throw PluginError(code: error.code, message: error.message)
        }
        guard let role = answer["member"]?["role"]?.stringValue else { return nil }
        return role.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Registering for an organization: a non-member 400, a member who is neither owner nor admin 403.
    func requireAdministrator(_ userID: String, of organizationID: String) throws {
        guard let roles = try roles(of: userID, in: organizationID) else {
            throw PluginError(code: "NOT_A_MEMBER", message: "You are not a member of the organization")
        }
        guard roles.contains("owner") || roles.contains("admin") else {
            throw PluginError(status: 403, code: "FORBIDDEN", message: "You must be an organization owner or admin to register SSO providers")
        }
    }

    /// Whether `userID` may see and change `provider`.
    func mayManage(_ provider: SSOProvider, _ userID: String) -> Bool {
        guard let organizationID = provider.organizationID else { return provider.userID == userID }
        let roles = (try? roles(of: userID, in: organizationID)) ?? nil
        return roles.map { $0.contains("owner") || $0.contains("admin") } ?? false
    }

    /// The organization with `slug`, if the organization plugin is loaded and has one.
    func organizationID(slug: String) -> String? {
        let answer = try? host.callService(plugin: Self.plugin, service: "findOrganization", request: ["slug": .string(slug)])
        return answer?["organization"]?["id"]?.stringValue
    }

    /// Makes a user who signed in through an organization's provider a member, once.
    func provision(_ userID: String, through provider: SSOProvider) {
        guard let organizationID = provider.organizationID else { return }
        do {
            guard try roles(of: userID, in: organizationID) == nil else { return }
            _ = try host.callService(plugin: Self.plugin, service: "addMember",
                                     request: ["organizationId": .string(organizationID), "userId": .string(userID), "role": .string(defaultRole)])
        } catch {
            host.log(.warning, "SSO organization provisioning failed for provider \(provider.providerID): \(error)")
        }
    }
}
