import Foundation
import GatehouseJSON
import OrderedCollections
import PluginKit

/// The `subscription` table (Better Auth's schema) and how a Stripe subscription object fills a row.
struct SubscriptionRows: Sendable {
    static let table = "subscription"
    let db: PluginDatabase
    let settings: StripeSettings

    func of(reference: String) throws -> [JSONValue] {
        try db.findMany(Self.table, [PluginDatabase.equals("referenceId", .string(reference))])
    }

    /// The reference's active or trialing row, if any.
    func live(of reference: String) throws -> JSONValue? {
        try of(reference: reference).first(where: Self.isLive)
    }

    func find(id: String) throws -> JSONValue? {
        try db.findOne(Self.table, [PluginDatabase.equals("id", .string(id))])
    }

    func find(stripeSubscriptionID: String) throws -> JSONValue? {
        try db.findOne(Self.table, [PluginDatabase.equals("stripeSubscriptionId", .string(stripeSubscriptionID))])
    }

    func update(_ row: JSONValue, _ changes: OrderedDictionary<String, JSONValue>) throws {
        _ = try db.update(Self.table, [PluginDatabase.equals("id", row["id"] ?? .null)], .object(changes))
    }

    static func isLive(_ row: JSONValue) -> Bool {
        ["active", "trialing"].contains(row["status"]?.stringValue ?? "")
    }

    /// What a Stripe subscription says of a row: plan, status, periods (from the item on API
    /// 2025-03-31 and later, from the subscription before), trial, cancellation, seats, interval.
    func fields(of subscription: JSONValue) -> OrderedDictionary<String, JSONValue> {
        let items = subscription["items"]?["data"]?.arrayValue ?? []
        let priced = items.first { item in item["price"]?["id"]?.stringValue.flatMap(settings.plan(ofPrice:)) != nil } ?? items.first
        let plan = priced?["price"]?["id"]?.stringValue.flatMap(settings.plan(ofPrice:))
        var fields: OrderedDictionary<String, JSONValue> = [
            "status": subscription["status"] ?? "incomplete",
            "stripeSubscriptionId": subscription["id"] ?? .null,
            "cancelAtPeriodEnd": .bool(subscription["cancel_at_period_end"]?.boolValue ?? false),
            "cancelAt": Self.date(subscription["cancel_at"]),
            "canceledAt": Self.date(subscription["canceled_at"]),
            "endedAt": Self.date(subscription["ended_at"]),
            "periodStart": Self.date(priced?["current_period_start"] ?? subscription["current_period_start"]),
            "periodEnd": Self.date(priced?["current_period_end"] ?? subscription["current_period_end"]),
        ]
        if let customer = subscription["customer"]?.stringValue { fields["stripeCustomerId"] = .string(customer) }
        if let plan {
            fields["plan"] = .string(plan.name.lowercased())
            let seatItem = plan.seatPriceId.flatMap { seat in items.first { $0["price"]?["id"]?.stringValue == seat } }
            fields["seats"] = .int((seatItem ?? priced)?["quantity"]?.intValue ?? 1)
        }
        if let interval = priced?["price"]?["recurring"]?["interval"]?.stringValue { fields["billingInterval"] = .string(interval) }
        if subscription["trial_start"]?.nonNull != nil {
            fields["trialStart"] = Self.date(subscription["trial_start"])
            fields["trialEnd"] = Self.date(subscription["trial_end"])
        }
        return fields
    }

    /// A Stripe timestamp (seconds) as the ISO date the database stores; null when absent.
    static func date(_ seconds: JSONValue?) -> JSONValue {
        guard let seconds = seconds?.doubleValue else { return .null }
        return .string(ISODate.format(Date(timeIntervalSince1970: seconds)))
    }
}
