import GatehouseJSON
import PluginKit

/// `plugins.sso`. An invalid setting refuses the plugin with a message naming its key.
struct SSOSettings: Sendable {
    /// Unsolicited Responses (no `InResponseTo`) are refused unless this is true.
    let allowIdpInitiated: Bool
    /// Seconds of clock difference tolerated on `NotBefore`/`NotOnOrAfter`.
    let clockSkew: Double
    /// The role a new SSO user gets in the provider's organization.
    let defaultRole: String
    /// Take an OP's `email_verified` at its word (Better Auth's `trustEmailVerified`). Off: an
    /// SSO e-mail counts as unverified, so it never links to an existing user by itself.
    let trustEmailVerified: Bool

    init(_ json: JSONValue) throws {
        let saml = json["saml"]?.nonNull
        if let saml, saml.objectValue == nil { throw Self.invalid("saml", "must be an object {allowIdpInitiated, clockSkew}") }
        if let value = saml?["allowIdpInitiated"]?.nonNull {
            guard let flag = value.boolValue else { throw Self.invalid("saml.allowIdpInitiated", "must be true or false") }
            allowIdpInitiated = flag
        } else {
            allowIdpInitiated = false
        }
        if let value = saml?["clockSkew"]?.nonNull {
            guard let seconds = value.doubleValue, (0...3600).contains(seconds) else {
                throw Self.invalid("saml.clockSkew", "must be a number of seconds from 0 to 3600")
            }
            clockSkew = seconds
        } else {
            clockSkew = 300
        }
        let provisioning = json["organizationProvisioning"]?.nonNull
        if let provisioning, provisioning.objectValue == nil { throw Self.invalid("organizationProvisioning", "must be an object {defaultRole}") }
        if let value = provisioning?["defaultRole"]?.nonNull {
            guard let role = value.stringValue, !role.isEmpty else { throw Self.invalid("organizationProvisioning.defaultRole", "must be a role name") }
            defaultRole = role
        } else {
            defaultRole = "member"
        }
        if let value = json["trustEmailVerified"]?.nonNull {
            guard let flag = value.boolValue else { throw Self.invalid("trustEmailVerified", "must be true or false") }
            trustEmailVerified = flag
        } else {
            trustEmailVerified = false
        }
    }

    private static func invalid(_ key: String, _ problem: String) -> PluginError {
        PluginError(code: "INVALID_SETTING", message: "plugins.sso.\(key) \(problem)")
    }
}
