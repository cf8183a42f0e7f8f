import GatehouseJSON
import OrderedCollections

/// The standard claims (OpenID Connect Core §5.4) a user's scopes release at UserInfo. Claims
/// without a value are left out (Core §5.3.2), as Better Auth leaves out undefined ones.
enum UserClaims {
    static func claims(of user: JSONValue, scopes: [String]) -> OrderedDictionary<String, JSONValue> {
        var claims: OrderedDictionary<String, JSONValue> = ["sub": user["id"] ?? .null]
        if scopes.contains("profile") {
            let name = user["name"]?.stringValue ?? ""
            let parts = name.split(separator: " ", maxSplits: 1)
            if !name.isEmpty { claims["name"] = .string(name) }
            if let picture = user["image"]?.nonNull { claims["picture"] = picture }
            if let given = parts.first { claims["given_name"] = .string(String(given)) }
            if parts.count > 1 { claims["family_name"] = .string(String(parts[1])) }
        }
        if scopes.contains("email") {
            if let email = user["email"]?.nonNull { claims["email"] = email }
            claims["email_verified"] = .bool(user["emailVerified"]?.boolValue ?? false)
        }
        return claims
    }
}
