import GatehouseJSON
import PluginKit

/// Stripe customers of users and organizations. A user's is made when the user is created
/// (`createCustomerOnSignUp`, on the host's `user.created`, whatever made the user) or at their
/// first upgrade; an organization's at its first upgrade, kept in `organization.stripeCustomerId`
/// through the organization plugin's `setOrganizationField`.
struct Customers: Sendable {
    let host: PluginHost
    let stripe: StripeClient

    /// `user.created`: reuse a customer with the user's address only if the address is verified
    /// and the customer is no organization's and no other user's; else create one.
    func userCreated(_ user: JSONValue) throws {
        guard let id = user["id"]?.stringValue, user["stripeCustomerId"]?.stringValue == nil else { return }
        let reusable = user["emailVerified"]?.boolValue == true ? try existing(email: user["email"]?.stringValue ?? "", userID: id) : nil
        if let reusable {
            // Claimed for this user at Stripe too, so no later user with that address takes it.
            _ = try stripe.updateCustomer(reusable, [("metadata[userId]", id), ("metadata[customerType]", "user")])
        }
        let customer = try reusable ?? create(user)
        _ = try host.call("users.update", ["id": .string(id), "data": ["stripeCustomerId": .string(customer)]])
    }

    /// The user's customer id, made now if they have none.
    func customer(ofUser userID: String) throws -> String {
        guard let user = try host.call("users.find", ["id": .string(userID)])["user"]?.nonNull else {
            throw PluginError(status: 404, code: "CUSTOMER_NOT_FOUND", message: "Stripe customer not found for this user")
        }
        if let id = user["stripeCustomerId"]?.stringValue { return id }
        let created = try create(user)
        _ = try host.call("users.update", ["id": .string(userID), "data": ["stripeCustomerId": .string(created)]])
        return created
    }

    /// The organization's customer id, made now (name, metadata organizationId) if it has none.
    func customer(ofOrganization organizationID: String) throws -> String {
        let organization = try host.callService(plugin: References.organizationPlugin, service: "findOrganization",
                                                request: ["id": .string(organizationID)])["organization"]?.nonNull
        guard let organization else { throw PluginError(code: "ORGANIZATION_NOT_FOUND", message: "Organization not found") }
        if let id = organization["stripeCustomerId"]?.stringValue { return id }
        let created = try stripe.post("/v1/customers", [
            ("name", organization["name"]?.stringValue ?? ""), ("metadata[organizationId]", organizationID),
            ("metadata[customerType]", "organization"),
        ])
        guard let id = created["id"]?.stringValue else { throw PluginError(code: "UNABLE_TO_CREATE_CUSTOMER", message: "Unable to create customer") }
        _ = try host.callService(plugin: References.organizationPlugin, service: "setOrganizationField",
                                 request: ["organizationId": .string(organizationID), "field": "stripeCustomerId", "value": .string(id)])
        return id
    }

    /// The organization's customer id if it has one.
    func existingCustomer(ofOrganization organizationID: String) throws -> String? {
        try host.callService(plugin: References.organizationPlugin, service: "findOrganization",
                             request: ["id": .string(organizationID)])["organization"]?["stripeCustomerId"]?.stringValue
    }

    private func create(_ user: JSONValue) throws -> String {
        let created = try stripe.post("/v1/customers", [
            ("email", user["email"]?.stringValue ?? ""), ("name", user["name"]?.stringValue ?? ""),
            ("metadata[userId]", user["id"]?.stringValue ?? ""), ("metadata[customerType]", "user"),
        ])
        guard let id = created["id"]?.stringValue else { throw PluginError(code: "UNABLE_TO_CREATE_CUSTOMER", message: "Unable to create customer") }
        return id
    }

    /// A customer with that address that this user may take: by search, else by list.
    private func existing(email: String, userID: String) throws -> String? {
        let found: [JSONValue]
        do {
            let query = "email:'" + email.replacingOccurrences(of: "'", with: "\\'") + "'"
            found = try stripe.get("/v1/customers/search", [("query", query), ("limit", "100")])["data"]?.arrayValue ?? []
        } catch is StripeRefusal {
            found = try stripe.get("/v1/customers", [("email", email), ("limit", "100")])["data"]?.arrayValue ?? []
        }
        for customer in found {
            let owner = customer["metadata"]?["userId"]?.stringValue ?? ""
            guard customer["email"]?.stringValue?.lowercased() == email.lowercased(),
                  customer["metadata"]?["customerType"]?.stringValue != "organization", owner.isEmpty || owner == userID,
                  let id = customer["id"]?.stringValue else { continue }
            // Never one another user already holds.
            let holder = try PluginDatabase(host: host).findOne("user", [PluginDatabase.equals("stripeCustomerId", .string(id))])
            if holder == nil || holder?["id"]?.stringValue == userID { return id }
        }
        return nil
    }
}
