import Foundation
import GatehouseJSON
import OrderedCollections
import PluginKit

/// `POST /stripe/webhook`: Stripe's signed event deliveries (raw body, ABI 1.4). The signature is
/// checked as Stripe's libraries check it. Each event is applied once: every Stripe call it needs
/// is made first, then its writes and the record of its id (`stripeWebhookEvent`, unique) commit
/// in one transaction, so a redelivery, even concurrent or after newer events, changes nothing,
/// and a delivery that met Stripe's API down (500) wrote nothing and is applied on Stripe's retry.
struct StripeWebhook: Sendable {
    static let eventTable = "stripeWebhookEvent"
    /// Stripe's default tolerance for the signature's timestamp.
    static let tolerance: TimeInterval = 300
    /// How long applied event ids are kept: Stripe retries a delivery for up to three days.
    static let retention: TimeInterval = 30 * 86_400

    let host: PluginHost
    let settings: StripeSettings
    let stripe: StripeClient
    let rows: SubscriptionRows

    func receive(_ call: PluginCall) throws -> PluginAnswer {
        guard let header = call.header("stripe-signature"), !header.isEmpty else {
            throw PluginError(code: "STRIPE_SIGNATURE_NOT_FOUND", message: "Stripe signature not found")
        }
        let body = call.rawBody ?? []
        guard verify(header, body: body), let event = try? JSONValue.parse(body), let id = event["id"]?.stringValue,
              let type = event["type"]?.stringValue, let object = event["data"]?["object"], object.objectValue != nil else {
            throw PluginError(code: "FAILED_TO_CONSTRUCT_STRIPE_EVENT", message: "Failed to construct Stripe event")
        }
        if try applied(id) { return .json(["success": true]) }
        var writes: [JSONValue] = []
        do {
            writes = try self.writes(for: type, object)
        } catch is StripeUnavailable {
            throw PluginError(status: 500, code: "STRIPE_WEBHOOK_ERROR", message: "Stripe webhook error")
        } catch let refusal as StripeRefusal {
            // Stripe refuses for good (the subscription is gone, say): recorded, so it stops redelivering.
            host.log(.warning, "Stripe event \(id) (\(type)) not applied: \(refusal.message)")
        }
        let record: JSONValue = ["op": "db.create", "table": .string(Self.eventTable), "data": ["eventId": .string(id), "type": .string(type)]]
        do {
            _ = try host.call("db.transaction", ["operations": .array([record] + writes)])
        } catch {
            // A concurrent delivery of the same event committed first (its id is unique): applied.
            if try applied(id) { return .json(["success": true]) }
            host.log(.error, "Stripe event \(id) (\(type)) could not be stored: \(error)")
            throw PluginError(status: 500, code: "STRIPE_WEBHOOK_ERROR", message: "Stripe webhook error")
        }
        return .json(["success": true])
    }

    /// Forgets applied event ids past the retention (a daily job).
    func purge() throws -> Int {
        let cutoff = ISODate.format(Date().addingTimeInterval(-Self.retention))
        return try rows.db.delete(Self.eventTable, [("createdAt", "<", .string(cutoff))])
    }

    /// `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=…][,v0=…]`: a
    /// recent `t` and any `v1` matching, compared in constant time; other schemes are ignored.
    func verify(_ header: String, body: [UInt8], now: Date = Date()) -> Bool {
        var timestamp: Int?
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) } else if pair[0] == "v1" { signatures.append(pair[1].lowercased()) }
        }
        guard let timestamp, !signatures.isEmpty, abs(now.timeIntervalSince1970 - Double(timestamp)) <= Self.tolerance,
              let mac = host.hmacSHA256(key: Array(settings.webhookSecret.utf8), Array("\(timestamp).".utf8) + body) else { return false }
        let expected = mac.map { String(format: "%02x", $0) }.joined()
        return signatures.reduce(false) { matched, signature in ConstantTime.equal(signature, expected) || matched }
    }

    private func applied(_ id: String) throws -> Bool {
        try rows.db.findOne(Self.eventTable, [PluginDatabase.equals("eventId", .string(id))]) != nil
    }

    /// The writes an event makes (`db.transaction` operations), after every Stripe call it needs.
    /// State comes from Stripe itself where events can arrive out of order (`.updated`), so an
    /// older event delivered late never undoes a newer one.
    private func writes(for type: String, _ object: JSONValue) throws -> [JSONValue] {
        switch type {
        case "checkout.session.completed":
            guard object["mode"]?.stringValue == "subscription",
                  let subscriptionID = object["subscription"]?.stringValue ?? object["subscription"]?["id"]?.stringValue,
                  let rowID = object["metadata"]?["subscriptionId"]?.stringValue, let row = try rows.find(id: rowID) else { return [] }
            return [update(row, rows.fields(of: try stripe.subscription(subscriptionID)))]
        case "customer.subscription.created":
            // Checkout's own subscription already has its row (by id, or by the row id in its metadata).
            guard try row(of: object) == nil, let reference = try reference(of: object) else { return [] }
            var fields = rows.fields(of: object)
            guard fields["plan"] != nil else { return [] }
            fields["referenceId"] = .string(reference)
            return [["op": "db.create", "table": .string(SubscriptionRows.table), "data": .object(fields)]]
        case "customer.subscription.updated":
            guard let row = try row(of: object), let id = object["id"]?.stringValue else { return [] }
            return [update(row, rows.fields(of: try stripe.subscription(id)))]
        case "customer.subscription.deleted":
            guard let row = try row(of: object) else { return [] }
            return [update(row, ["status": "canceled", "endedAt": SubscriptionRows.date(object["ended_at"]?.nonNull ?? .number(Date().timeIntervalSince1970)),
                                 "canceledAt": SubscriptionRows.date(object["canceled_at"]?.nonNull ?? object["ended_at"])])]
        default:
            return []
        }
    }

    private func update(_ row: JSONValue, _ fields: OrderedDictionary<String, JSONValue>) -> JSONValue {
        ["op": "db.update", "table": .string(SubscriptionRows.table), "where": [["field": "id", "value": row["id"] ?? .null]], "data": .object(fields)]
    }

    /// The row of a Stripe subscription: by its id, else by the row id Checkout put in its metadata.
    private func row(of subscription: JSONValue) throws -> JSONValue? {
        if let id = subscription["id"]?.stringValue, let row = try rows.find(stripeSubscriptionID: id) { return row }
        return try subscription["metadata"]?["subscriptionId"]?.stringValue.flatMap(rows.find(id:))
    }

    /// Who a subscription made outside Checkout (the dashboard) is for: its metadata's reference,
    /// else the organization (with organizations on) or the user whose customer it is. An unknown
    /// customer is ignored.
    private func reference(of subscription: JSONValue) throws -> String? {
        if let reference = subscription["metadata"]?["referenceId"]?.stringValue { return reference }
        guard let customer = subscription["customer"]?.stringValue else { return nil }
        if settings.organizationEnabled, let organization = try? host.callService(
            plugin: References.organizationPlugin, service: "findOrganization",
            request: ["field": "stripeCustomerId", "value": .string(customer)])["organization"]?["id"]?.stringValue {
            return organization
        }
        let user = try rows.db.findOne("user", [PluginDatabase.equals("stripeCustomerId", .string(customer))])
        return user?["id"]?.stringValue
    }
}
