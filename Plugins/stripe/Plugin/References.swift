import GatehouseJSON
import PluginKit

/// Who a subscription is for: the signed-in user, or one of their organizations.
struct BillingReference: Sendable {
    enum Kind: String, Sendable { case user, organization }
    let kind: Kind
    let id: String
    /// The signed-in user acting on it.
    let userID: String
}

/// Resolves and authorizes the reference of a request, before anything else is done. A user
/// reference must be the caller; an organization reference (instead of Better Auth's
/// `authorizeReference` callback) may be read by its members and changed, or billed through the
/// portal, by those whose roles grant `organization: update` (owner, admin).
struct References: Sendable {
    static let organizationPlugin = "organization"
    let host: PluginHost
    let settings: StripeSettings

    enum Use { case read, change }

    func resolve(_ call: PluginCall, referenceID: String?, customerType: String?, for use: Use) throws -> BillingReference {
        guard let userID = call.session?["user"]?["id"]?.stringValue else {
            throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized access")
        }
        switch customerType ?? "user" {
        case "user":
            guard referenceID == nil || referenceID == userID else {
                throw PluginError(code: "REFERENCE_ID_NOT_ALLOWED", message: "Reference id is not allowed")
            }
            return BillingReference(kind: .user, id: userID, userID: userID)
        case "organization":
            guard settings.organizationEnabled else {
                throw PluginError(code: "ORGANIZATION_SUBSCRIPTION_NOT_ENABLED", message: "Organization subscription is not enabled")
            }
            guard let organizationID = referenceID ?? call.session?["session"]?["activeOrganizationId"]?.stringValue else {
                throw PluginError(code: "ORGANIZATION_REFERENCE_ID_REQUIRED",
                                  message: "Reference ID is required. Provide referenceId or set activeOrganizationId in session")
            }
            let roles = try self.roles(of: userID, in: organizationID)
            let allowed = use == .read ? roles != nil : roles.map { $0.contains("owner") || $0.contains("admin") } ?? false
            guard allowed else { throw PluginError(status: 403, code: "UNAUTHORIZED", message: "Unauthorized access") }
            return BillingReference(kind: .organization, id: organizationID, userID: userID)
        default:
            throw PluginError(code: "INVALID_REQUEST_BODY", message: "customerType must be user or organization")
        }
    }

    /// The caller's roles in the organization; nil when not a member (or no such organization).
    private func roles(of userID: String, in organizationID: String) throws -> [String]? {
        let answer: JSONValue
        do {
            answer = try host.callService(plugin: Self.organizationPlugin, service: "getMember",
                                          request: ["organizationId": .string(organizationID), "userId": .string(userID)])
        } catch is PluginNotLoaded {
            throw PluginError(code: "ORGANIZATION_NOT_FOUND", message: "Organization not found")
        } catch let error as PluginError where error.code == "ORGANIZATION_NOT_FOUND" {
            return nil
        }
        return answer["member"]?["role"]?.stringValue.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    }
}
