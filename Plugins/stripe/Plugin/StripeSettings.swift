import GatehouseJSON
import PluginKit

/// A plan of `plugins.stripe.subscription.plans`, as Better Auth's `StripePlan`.
struct StripePlan: Sendable {
    let name: String
    let priceId: String
    let annualDiscountPriceId: String?
    let limits: JSONValue?
    let trialDays: Int?
    /// The price billed per organization member; equal to `priceId` for a plan billed by seat alone.
    let seatPriceId: String?

    /// The monthly price, or the annual one (a plan without one bills its monthly price).
    func priceID(annual: Bool) -> String { annual ? annualDiscountPriceId ?? priceId : priceId }

    /// Whether a Stripe price belongs to this plan.
    func owns(price: String) -> Bool { price == priceId || price == annualDiscountPriceId || price == seatPriceId }
}

/// `plugins.stripe`. A missing or malformed key refuses the plugin with a message naming the key,
/// never its value (the keys are secrets).
struct StripeSettings: Sendable {
    let secretKey: String
    let webhookSecret: String
    let apiBaseURL: String
    let createCustomerOnSignUp: Bool
    let subscriptionEnabled: Bool
    let plans: [StripePlan]
    let organizationEnabled: Bool

    static let keys: Set<String> = ["secretKey", "webhookSecret", "apiBaseURL", "createCustomerOnSignUp", "subscription", "organization", "enabled"]

    init(_ json: JSONValue) throws {
        func invalid(_ key: String, _ rule: String) -> PluginError {
            PluginError(code: "INVALID_SETTINGS", message: "plugins.stripe.\(key) \(rule)")
        }
        if let unknown = json.objectValue?.keys.first(where: { !Self.keys.contains($0) }) { throw invalid(unknown, "is not a setting of the stripe plugin") }
        guard let secretKey = json["secretKey"]?.stringValue, !secretKey.isEmpty else { throw invalid("secretKey", "must be a Stripe secret key") }
        guard let webhookSecret = json["webhookSecret"]?.stringValue, !webhookSecret.isEmpty else {
            throw invalid("webhookSecret", "must be the endpoint's signing secret (whsec_…)")
        }
        let base = json["apiBaseURL"]?.stringValue ?? "https://api.stripe.com"
        guard base.hasPrefix("https://") || base.hasPrefix("http://") else { throw invalid("apiBaseURL", "must be an http(s) URL") }
        self.secretKey = secretKey
        self.webhookSecret = webhookSecret
        apiBaseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
        createCustomerOnSignUp = json["createCustomerOnSignUp"]?.boolValue ?? false
        subscriptionEnabled = json["subscription"]?["enabled"]?.boolValue ?? false
        organizationEnabled = json["organization"]?["enabled"]?.boolValue ?? false
        plans = try (json["subscription"]?["plans"]?.arrayValue ?? []).enumerated().map { index, plan in
            let at = "subscription.plans[\(index)]"
            guard let name = plan["name"]?.stringValue, !name.isEmpty else { throw invalid(at + ".name", "must be a non-empty string") }
            guard let priceId = plan["priceId"]?.stringValue, !priceId.isEmpty else { throw invalid(at + ".priceId", "must be a Stripe price id") }
            let days = plan["freeTrial"]?["days"]
            if let days, days.intValue.map({ $0 < 0 }) ?? true { throw invalid(at + ".freeTrial.days", "must be a whole number of days") }
            return StripePlan(name: name, priceId: priceId, annualDiscountPriceId: plan["annualDiscountPriceId"]?.stringValue,
                              limits: plan["limits"], trialDays: days?.intValue, seatPriceId: plan["seatPriceId"]?.stringValue)
        }
    }

    func plan(named name: String) -> StripePlan? { plans.first { $0.name.lowercased() == name.lowercased() } }

    func plan(ofPrice price: String) -> StripePlan? { plans.first { $0.owns(price: price) } }
}
