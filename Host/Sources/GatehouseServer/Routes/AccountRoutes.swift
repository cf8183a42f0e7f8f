import GatehouseJSON
import GatehouseStorage

/// list-accounts and unlink-account.
enum AccountRoutes {
    static var endpoints: [Endpoint] { [listAccounts, unlinkAccount] }

    static let listAccounts = Endpoint(
        .get, "/list-accounts", auth: .session, summary: "List the accounts linked to the user", tag: "Account"
    ) { ctx in
        let session = try await ctx.requireSession()
        let accounts = try await ctx.auth.store.accounts(userID: session.userID)
        return .json(.array(accounts.map { account in
            let scopes = (account.string("scope") ?? "").split(separator: ",").map { JSONValue.string($0.trimmingCharacters(in: .whitespaces)) }
            return [
                "id": .string(account.id), "providerId": account["providerId"]?.json ?? .null, "issuer": account["issuer"]?.json ?? .null,
                "accountId": account["accountId"]?.json ?? .null, "userId": account["userId"]?.json ?? .null,
                "createdAt": account["createdAt"]?.json ?? .null, "updatedAt": account["updatedAt"]?.json ?? .null,
                "scopes": .array(scopes),
            ]
        }))
    }

    /// 1.7 body `{accountId}` names the local account row; 1.6's `{providerId, accountId?}` also works.
    static let unlinkAccount = Endpoint(
        .post, "/unlink-account", auth: .freshSession,
        body: BodySchema([.init("accountId", .string), .init("providerId", .string)]),
        summary: "Unlink an account from the user", tag: "Account"
    ) { ctx in
        let session = try await ctx.requireSession()
        let accounts = try await ctx.auth.store.accounts(userID: session.userID)
        if accounts.count == 1, !ctx.auth.config.account.allowUnlinkingAll {
            throw CoreErrors.error("FAILED_TO_UNLINK_LAST_ACCOUNT", .badRequest)
        }
        let accountID = ctx.bodyString("accountId")
        let target: Record?
        if let providerID = ctx.bodyString("providerId") {
            target = accounts.first { $0.string("providerId") == providerID && (accountID == nil || $0.string("accountId") == accountID) }
        } else if let accountID {
            target = accounts.first { $0.id == accountID }
        } else {
            throw APIError(.badRequest, "VALIDATION_ERROR", "[body.accountId] Invalid input: expected string, received undefined")
        }
        guard let target else { throw CoreErrors.error("ACCOUNT_NOT_FOUND", .badRequest) }
        try await ctx.auth.store.deleteAccount(id: target.id)
        return .json(["status": true])
    }
}
