import GatehouseJSON
import PluginKit

/// Seat billing of organization plans (`seatPriceId`): the quantity is the organization's member
/// count (the organization plugin's `memberCount`), and follows `organization.member.added` and
/// `.removed` in Stripe and in the row.
struct Seats: Sendable {
    let host: PluginHost
    let settings: StripeSettings
    let stripe: StripeClient
    let rows: SubscriptionRows

    /// How many seats to bill: the member count for an organization's seat plan, else the request's (at least 1).
    func quantity(for plan: StripePlan, reference: BillingReference, requested: Int?) throws -> Int {
        guard reference.kind == .organization, plan.seatPriceId != nil else { return max(1, requested ?? 1) }
        return try memberCount(reference.id)
    }

    /// The checkout's lines: the plan's price, and for an organization's seat plan its seat price
    /// per member (one line when the seat price is the plan's price).
    func lineItems(for plan: StripePlan, priceID: String, quantity: Int, organization: Bool) -> StripeClient.Form {
        guard organization, let seatPrice = plan.seatPriceId, seatPrice != priceID else {
            return [("line_items[0][price]", priceID), ("line_items[0][quantity]", String(quantity))]
        }
        return [("line_items[0][price]", priceID), ("line_items[0][quantity]", "1"),
                ("line_items[1][price]", seatPrice), ("line_items[1][quantity]", String(quantity))]
    }

    /// After a member joined or left: the seat item's quantity in Stripe, then the row's `seats`.
    func membersChanged(in organizationID: String) throws {
        guard settings.organizationEnabled, let row = try rows.live(of: organizationID),
              let plan = row["plan"]?.stringValue.flatMap(settings.plan(named:)), let seatPrice = plan.seatPriceId,
              let subscriptionID = row["stripeSubscriptionId"]?.stringValue else { return }
        let count = try memberCount(organizationID)
        guard count != row["seats"]?.intValue else { return }
        let subscription = try stripe.subscription(subscriptionID)
        guard let item = subscription["items"]?["data"]?.arrayValue?.first(where: { $0["price"]?["id"]?.stringValue == seatPrice }),
              let itemID = item["id"]?.stringValue else { return }
        _ = try stripe.updateSubscription(subscriptionID, [("items[0][id]", itemID), ("items[0][quantity]", String(count))])
        try rows.update(row, ["seats": .int(count)])
    }

    private func memberCount(_ organizationID: String) throws -> Int {
        try host.callService(plugin: References.organizationPlugin, service: "memberCount",
                             request: ["organizationId": .string(organizationID)])["count"]?.intValue ?? 0
    }
}
