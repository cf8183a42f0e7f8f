import EmailSyntax
import GatehouseJSON
import PluginKit

/// `plugins.anonymous`, with Better Auth 1.7's option names.
struct AnonymousSettings: Sendable {
    /// Placeholder addresses are `temp-<id>@<emailDomainName>`, or `temp@<id>.com` without it.
    var emailDomainName: String?
    /// Keep the anonymous user when it signs in as someone else, and refuse /delete-anonymous-user.
    var disableDeleteAnonymousUser = false

    init(_ json: JSONValue) throws {
        let callback = "is a JavaScript callback; subscribe to the anonymous.linked event instead"
        let settings = try PluginSettings(json, pluginID: "anonymous", keys: ["emailDomainName", "disableDeleteAnonymousUser"],
                                          refusals: ["onLinkAccount": callback,
                                                     "generateName": "is a JavaScript callback; anonymous users are named Anonymous",
                                                     "generateRandomEmail": "is a JavaScript callback; set emailDomainName"])
        emailDomainName = try settings.string("emailDomainName")
        if let domain = emailDomainName, !EmailAddress.isValid("temp-x@\(domain)") {
            throw settings.invalid("emailDomainName", "must be a domain name that makes valid addresses (temp-<id>@<domain>)")
        }
        disableDeleteAnonymousUser = try settings.bool("disableDeleteAnonymousUser") ?? disableDeleteAnonymousUser
    }
}
