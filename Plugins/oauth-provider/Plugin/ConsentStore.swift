import Foundation
import GatehouseJSON
import PluginKit

/// The scopes each user granted each client, in `oauthConsent` (one row per user and client).
struct ConsentStore: Sendable {
    let host: PluginHost

    private var database: PluginDatabase { PluginDatabase(host: host) }

    func covers(userID: String, clientID: String, scopes: [String]) throws -> Bool {
        guard let row = try row(userID: userID, clientID: clientID) else { return false }
        return Set(scopes).isSubset(of: StoredList.strings(row["scopes"]))
    }

    func record(userID: String, clientID: String, scopes: [String]) throws {
        let now = JSONValue.string(ISODate.format(Date()))
        let list = JSONValue.array(scopes.map(JSONValue.string))
        if let row = try row(userID: userID, clientID: clientID), let id = row["id"] {
            try database.update("oauthConsent", [PluginDatabase.equals("id", id)], ["scopes": list, "updatedAt": now])
        } else {
            try database.create("oauthConsent", ["userId": .string(userID), "clientId": .string(clientID), "scopes": list,
                                                 "createdAt": now, "updatedAt": now])
        }
    }

    private func row(userID: String, clientID: String) throws -> JSONValue? {
        try database.findOne("oauthConsent", [PluginDatabase.equals("userId", .string(userID)), PluginDatabase.equals("clientId", .string(clientID))])
    }
}
