import GatehouseJSON
import PluginKit

/// `GET /sso/providers`, `GET /sso/get-provider`, `POST /sso/update-provider` and
/// `POST /sso/delete-provider`: a provider's owner (or its organization's owners and admins)
/// sees and changes it; anyone else gets 403, an unknown provider 404.
struct ProviderRoutes: Sendable {
    let providers: SSOProviders
    let organizations: OrganizationLink
    let site: Site

    func list(userID: String) throws -> PluginAnswer {
        let mine = try providers.all().filter { organizations.mayManage($0, userID) }
        return .json(["providers": .array(mine.map(summary))])
    }

    func get(_ providerID: String?, userID: String) throws -> PluginAnswer {
        .json(summary(try managed(providerID, userID)))
    }

    func update(_ body: JSONValue, userID: String) throws -> PluginAnswer {
        let provider = try managed(body["providerId"]?.stringValue, userID)
        return .json(summary(try providers.update(provider, with: body)))
    }

    func delete(_ body: JSONValue, userID: String) throws -> PluginAnswer {
        try providers.delete(try managed(body["providerId"]?.stringValue, userID))
        return .json(["success": true])
    }

    private func managed(_ providerID: String?, _ userID: String) throws -> SSOProvider {
        guard let providerID else { throw PluginError(code: "VALIDATION_ERROR", message: "providerId is required") }
        guard let provider = try providers.find(providerID: providerID) else {
            throw PluginError(status: 404, code: "PROVIDER_NOT_FOUND", message: "Provider not found")
        }
        guard organizations.mayManage(provider, userID) else {
            throw PluginError(status: 403, code: "FORBIDDEN", message: "You don't have access to this provider")
        }
        return provider
    }

    private func summary(_ provider: SSOProvider) -> JSONValue {
        provider.summary(metadataURL: site.metadata(provider.providerID))
    }
}
