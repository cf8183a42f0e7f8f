import Ethereum
import GatehouseJSON
import PluginKit

/// Wallets and their users: a `walletAddress` row per (address, chain) and a `siwe` account
/// (`accountId` `<address>:<chainId>`, issuer `local:siwe`), as Better Auth keeps them.
struct Wallets: Sendable {
    let host: PluginHost
    let settings: SIWESettings

    /// The id of the user who owns the wallet, creating user, wallet and account the first time.
    func user(for address: EthereumAddress, chainID: Int, email: String?) throws -> String {
        let db = PluginDatabase(host: host)
        let checksummed = address.checksummed
        let key = [PluginDatabase.equals("address", .string(checksummed)), PluginDatabase.equals("chainId", .int(chainID))]
        if let userID = try db.findOne("walletAddress", key)?["userId"]?.stringValue { return userID }

        guard email != nil || settings.anonymous else { throw SIWEError.emailRequired.failure }
        let address = email ?? "\(checksummed.lowercased())@\(settings.emailDomainName)"
        guard try host.call("users.find", ["email": .string(address)])["user"]?.nonNull == nil else { throw SIWEError.emailInUse.failure }
        // User, wallet and account in one transaction: a concurrent first sign-in with the same
        // wallet fails on the (address, chainId) unique index and rolls back, then finds the winner.
        let userID = host.randomText(32, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        do {
            _ = try host.call("db.transaction", ["operations": [
                ["op": "db.create", "table": "user", "data": ["id": .string(userID), "name": .string(checksummed), "email": .string(address.lowercased()),
                                                              "emailVerified": false]],
                ["op": "db.create", "table": "walletAddress", "data": ["userId": .string(userID), "address": .string(checksummed),
                                                                       "chainId": .int(chainID), "isPrimary": true]],
                ["op": "db.create", "table": "account", "data": ["userId": .string(userID), "providerId": "siwe", "issuer": "local:siwe",
                                                                 "accountId": .string("\(checksummed):\(chainID)")]],
            ]])
        } catch {
            guard let winner = try db.findOne("walletAddress", key)?["userId"]?.stringValue else { throw error }
            return winner
        }
        return userID
    }
}
