import Foundation
import GatehouseJSON
import OrderedCollections
import PluginKit

/// Authorization codes in the core `verification` table, as Better Auth keeps them: the
/// identifier is the hashed code, the value the grant as JSON. Redeeming consumes the row, so a
/// code works once even under concurrency; its hash then names the tokens issued from it.
struct AuthorizationCodes: Sendable {
    /// What a code grants.
    struct Grant {
        var clientID: String
        var redirectURI: String
        var scopes: [String]
        var codeChallenge: String
        var nonce: String?
        var userID: String
        var sessionID: String
        var authTime: Date
    }

    let host: PluginHost
    let lifetime: Int

    func issue(_ grant: Grant) throws -> String {
        let code = host.randomToken()
        var query: OrderedDictionary<String, JSONValue> = [
            "client_id": .string(grant.clientID), "redirect_uri": .string(grant.redirectURI), "scope": .string(OAuthScopes.join(grant.scopes)),
            "code_challenge": .string(grant.codeChallenge), "code_challenge_method": "S256",
        ]
        if let nonce = grant.nonce { query["nonce"] = .string(nonce) }
        let value: JSONValue = [
            "type": "authorization_code", "query": .object(query),
            "userId": .string(grant.userID), "sessionId": .string(grant.sessionID),
            "authTime": .int(Int(grant.authTime.timeIntervalSince1970 * 1000)),
        ]
        _ = try host.call("verifications.create", ["identifier": .string(try host.hashedKey(code)), "value": .string(value.serialized()),
                                                   "expiresIn": .int(lifetime)])
        return code
    }

    /// The code's id (its hash, the family of the tokens it buys) and, the first time only, its grant.
    func redeem(_ code: String) throws -> (id: String, grant: Grant?) {
        let id = try host.hashedKey(code)
        let value = try host.call("verifications.consume", ["identifier": .string(id)])["value"]?.stringValue
        guard let value, let json = try? JSONValue.parse(value), json["type"]?.stringValue == "authorization_code",
              let query = json["query"], let clientID = query["client_id"]?.stringValue, let redirectURI = query["redirect_uri"]?.stringValue,
              let challenge = query["code_challenge"]?.stringValue, let userID = json["userId"]?.stringValue,
              let sessionID = json["sessionId"]?.stringValue, let authTime = json["authTime"]?.doubleValue
        else { return (id, nil) }
        return (id, Grant(clientID: clientID, redirectURI: redirectURI, scopes: OAuthScopes.parse(query["scope"]?.stringValue ?? "") ?? [],
                          codeChallenge: challenge, nonce: query["nonce"]?.stringValue, userID: userID, sessionID: sessionID,
                          authTime: Date(timeIntervalSince1970: authTime / 1000)))
    }
}
