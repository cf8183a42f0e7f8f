import Foundation
import GatehouseJSON

/// A provider's user, mapped to Better Auth's user fields. `subject` becomes the account's
/// `accountId`; `raw` is the provider's own profile (account-info returns it).
public struct ProviderProfile: Sendable {
    public var subject: String
    public var email: String?
    public var emailVerified: Bool
    public var name: String
    public var image: String?
    /// Overrides the provider's account issuer (Microsoft: the tenant's `iss`).
    public var accountIssuer: String?
    public var raw: JSONValue

    public init(subject: String, email: String?, emailVerified: Bool, name: String, image: String?, raw: JSONValue) {
        self.subject = subject
        self.email = email
        self.emailVerified = emailVerified
        self.name = name
        self.image = image
        self.raw = raw
    }
}

/// How a provider's profile JSON maps to a user (Better Auth's per-provider `getUserInfo`).
public enum ProfileMapping: String, Sendable {
    /// OpenID Connect claims: `sub`, `email`, `email_verified`, `name`, `picture`.
    case openID
    case apple, microsoft, github, discord, facebook, twitter, gitlab

    public func map(_ raw: JSONValue) -> ProviderProfile? {
        switch self {
        case .openID, .apple:
            guard let sub = Self.subject(raw["sub"]) else { return nil }
            let name = raw["name"]?.stringValue
                ?? [raw["given_name"]?.stringValue, raw["family_name"]?.stringValue].compactMap { $0 }.joined(separator: " ")
            return ProviderProfile(subject: sub, email: raw["email"]?.stringValue, emailVerified: Self.truthy(raw["email_verified"]),
                                   name: name, image: raw["picture"]?.stringValue, raw: raw)
        case .microsoft:
            guard let subject = Self.subject(raw["oid"]) ?? Self.subject(raw["sub"]) else { return nil }
            let email = raw["email"]?.stringValue
            let verifiedAddresses = ["verified_primary_email", "verified_secondary_email"].flatMap { raw[$0]?.arrayValue ?? [] }
            let verified = raw["email_verified"].map { Self.truthy($0) } ?? verifiedAddresses.contains { $0.stringValue == email && email != nil }
            var profile = ProviderProfile(subject: subject, email: email, emailVerified: verified, name: raw["name"]?.stringValue ?? "",
                                          image: raw["picture"]?.stringValue, raw: raw)
            profile.accountIssuer = raw["iss"]?.stringValue
            return profile
        case .github:
            guard let id = Self.subject(raw["id"]) else { return nil }
            let name = raw["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? raw["login"]?.stringValue ?? ""
            return ProviderProfile(subject: id, email: raw["email"]?.stringValue, emailVerified: Self.truthy(raw["email_verified"]),
                                   name: name, image: raw["avatar_url"]?.stringValue, raw: raw)
        case .discord:
            guard let id = Self.subject(raw["id"]) else { return nil }
            let name = raw["global_name"]?.stringValue ?? raw["username"]?.stringValue ?? ""
            return ProviderProfile(subject: id, email: raw["email"]?.stringValue, emailVerified: Self.truthy(raw["verified"]),
                                   name: name, image: Self.discordAvatar(raw, id: id), raw: raw)
        case .facebook:
            guard let id = Self.subject(raw["id"]) ?? Self.subject(raw["sub"]) else { return nil }
            let image = raw["picture"]?["data"]?["url"]?.stringValue ?? raw["picture"]?.stringValue
            return ProviderProfile(subject: id, email: raw["email"]?.stringValue, emailVerified: Self.truthy(raw["email_verified"]),
                                   name: raw["name"]?.stringValue ?? "", image: image, raw: raw)
        case .twitter:
            let data = raw["data"] ?? .null
            guard let id = Self.subject(data["id"]) else { return nil }
            let email = data["confirmed_email"]?.stringValue
            return ProviderProfile(subject: id, email: email, emailVerified: email != nil, name: data["name"]?.stringValue ?? "",
                                   image: data["profile_image_url"]?.stringValue, raw: raw)
        case .gitlab:
            guard let id = Self.subject(raw["id"]) else { return nil }
            // Blocked or locked GitLab users do not sign in.
            if let state = raw["state"]?.stringValue, state != "active" { return nil }
            if raw["locked"]?.boolValue == true { return nil }
            let name = raw["name"]?.stringValue ?? raw["username"]?.stringValue ?? ""
            return ProviderProfile(subject: id, email: raw["email"]?.stringValue, emailVerified: Self.truthy(raw["email_verified"]),
                                   name: name, image: raw["avatar_url"]?.stringValue, raw: raw)
        }
    }

    /// A usable subject: a non-blank string or a whole number (GitHub's numeric ids).
    static func subject(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s)?:
            let trimmed = s.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed == "undefined" || trimmed == "null" ? nil : s
        case .number(let n)? where n.isFinite:
            return n.rounded() == n && abs(n) < 9.0e15 ? String(Int64(n)) : String(n)
        default:
            return nil
        }
    }

    /// Providers send booleans as `true` or `"true"` (Apple).
    static func truthy(_ value: JSONValue?) -> Bool {
        value?.boolValue ?? (value?.stringValue == "true")
    }

    static func discordAvatar(_ raw: JSONValue, id: String) -> String {
        if let avatar = raw["avatar"]?.stringValue {
            return "https://cdn.discordapp.com/avatars/\(id)/\(avatar).\(avatar.hasPrefix("a_") ? "gif" : "png")"
        }
        let index: UInt64 = raw["discriminator"]?.stringValue == "0" || raw["discriminator"] == nil
            ? ((UInt64(id) ?? 0) >> 22) % 6
            : (UInt64(raw["discriminator"]?.stringValue ?? "0") ?? 0) % 5
        return "https://cdn.discordapp.com/embed/avatars/\(index).png"
    }
}
