import Foundation
import GatehouseJSON
import OrderedCollections
import PluginKit

/// Better Auth 1.7's subscription routes. Every check (plan, URLs, reference, subscription) comes
/// before the first write and the first Stripe call.
struct SubscriptionRoutes: Sendable {
    let host: PluginHost
    let settings: StripeSettings
    let stripe: StripeClient
    let rows: SubscriptionRows
    let references: References
    let customers: Customers
    let seats: Seats
    /// `{baseURL}{basePath}`.
    let apiURL: String
    let baseURL: String

    /// `POST /subscription/upgrade`.
    func upgrade(_ call: PluginCall) throws -> PluginAnswer {
        let body = call.body
        let reference = try references.resolve(call, referenceID: body["referenceId"]?.stringValue,
                                                customerType: body["customerType"]?.stringValue, for: .change)
        let successURL = try url(body["successUrl"]?.stringValue ?? "/")
        let cancelURL = try url(body["cancelUrl"]?.stringValue ?? "/")
        let returnURL = try url(body["returnUrl"]?.stringValue ?? "/")
        guard let plan = body["plan"]?.stringValue.flatMap(settings.plan(named:)) else {
            throw PluginError(code: "SUBSCRIPTION_PLAN_NOT_FOUND", message: "Subscription plan not found")
        }
        let named = try body["subscriptionId"]?.stringValue.map { id -> JSONValue in
            guard let row = try rows.find(stripeSubscriptionID: id), row["referenceId"]?.stringValue == reference.id else {
                throw PluginError(code: "SUBSCRIPTION_NOT_FOUND", message: "Subscription not found")
            }
            return row
        }
        let annual = body["annual"]?.boolValue ?? false
        guard !annual || plan.annualDiscountPriceId != nil else {
            throw PluginError(code: "PRICE_ID_NOT_FOUND_FOR_THE_SELECTED_PLAN", message: "Price ID not found for the selected plan")
        }
        let priceID = plan.priceID(annual: annual)
        let seatCount = try seats.quantity(for: plan, reference: reference, requested: body["seats"]?.intValue)
        let live = try named.flatMap { Self.isLive($0) ? $0 : nil } ?? rows.live(of: reference.id)
        if let live, live["status"]?.stringValue == "active", live["plan"]?.stringValue == plan.name.lowercased(),
           (live["billingInterval"]?.stringValue == "year") == (annual && plan.annualDiscountPriceId != nil),
           plan.seatPriceId != nil || (live["seats"]?.intValue ?? 1) == seatCount,
           (ISODate.parse(live["periodEnd"]) ?? .distantFuture) > Date() {
            throw PluginError(code: "ALREADY_SUBSCRIBED_PLAN", message: "You're already subscribed to this plan")
        }
        let customer = reference.kind == .user ? try customers.customer(ofUser: reference.userID) : try customers.customer(ofOrganization: reference.id)
        if let live, let subscriptionID = live["stripeSubscriptionId"]?.stringValue {
            // A change of plan goes through the billing portal's confirmation.
            let subscription = try stripe.subscription(subscriptionID)
            guard let item = subscription["items"]?["data"]?.arrayValue?.first(where: { item in
                item["price"]?["id"]?.stringValue.flatMap(settings.plan(ofPrice:)) != nil
            }) ?? subscription["items"]?["data"]?.arrayValue?.first, let itemID = item["id"]?.stringValue else {
                throw PluginError(status: 404, code: "SUBSCRIPTION_NOT_FOUND", message: "Subscription not found")
            }
            let confirm = "flow_data[subscription_update_confirm]"
            var form: StripeClient.Form = [
                ("customer", customer), ("return_url", returnURL), ("flow_data[type]", "subscription_update_confirm"),
                ("\(confirm)[subscription]", subscriptionID), ("\(confirm)[items][0][id]", itemID), ("\(confirm)[items][0][price]", priceID),
            ]
            // An organization's plan with a seat price of its own: the base price once, the seats on their own item.
            let separateSeats = reference.kind == .organization && plan.seatPriceId.map { $0 != priceID } == true
            form.append(("\(confirm)[items][0][quantity]", separateSeats ? "1" : String(seatCount)))
            if separateSeats, let seatPrice = plan.seatPriceId,
               let seatItem = subscription["items"]?["data"]?.arrayValue?.first(where: { $0["price"]?["id"]?.stringValue == seatPrice && $0["id"]?.stringValue != itemID }),
               let seatItemID = seatItem["id"]?.stringValue {
                form += [("\(confirm)[items][1][id]", seatItemID), ("\(confirm)[items][1][quantity]", String(seatCount))]
            }
            let portal = try stripe.post("/v1/billing_portal/sessions", form)
            return .json(["url": portal["url"] ?? .null, "redirect": .bool(!(body["disableRedirect"]?.boolValue ?? false))])
        }
        let previous = try rows.of(reference: reference.id)
        let everTrialed = previous.contains { $0["trialStart"]?.nonNull != nil || $0["status"]?.stringValue == "trialing" }
        var row = previous.first { $0["status"]?.stringValue == "incomplete" }
        let values: OrderedDictionary<String, JSONValue> = ["plan": .string(plan.name.lowercased()), "stripeCustomerId": .string(customer), "seats": .int(seatCount)]
        if let existing = row {
            try rows.update(existing, values)
        } else {
            var fresh = values
            fresh["referenceId"] = .string(reference.id)
            fresh["status"] = "incomplete"
            row = try rows.db.create(SubscriptionRows.table, .object(fresh))
        }
        let rowID = row?["id"]?.stringValue ?? ""
        let callback = successURL.addingPercentEncoding(withAllowedCharacters: Self.uriComponent) ?? ""
        var form: StripeClient.Form = [
            ("mode", "subscription"), ("customer", customer), ("client_reference_id", reference.id),
            ("success_url", apiURL + "/subscription/success?callbackURL=" + callback + "&checkoutSessionId={CHECKOUT_SESSION_ID}"),
            ("cancel_url", cancelURL),
        ]
        form += seats.lineItems(for: plan, priceID: priceID, quantity: seatCount, organization: reference.kind == .organization)
        for prefix in ["metadata", "subscription_data[metadata]"] {
            form += [("\(prefix)[userId]", reference.userID), ("\(prefix)[subscriptionId]", rowID), ("\(prefix)[referenceId]", reference.id)]
        }
        if let days = plan.trialDays, days > 0, !everTrialed { form.append(("subscription_data[trial_period_days]", String(days))) }
        var session = try stripe.post("/v1/checkout/sessions", form).objectValue ?? [:]
        session["redirect"] = .bool(!(body["disableRedirect"]?.boolValue ?? false))
        return .json(.object(session))
    }

    /// `POST /subscription/cancel {returnUrl, subscriptionId?, referenceId?, customerType?}`: the
    /// billing portal's cancellation flow.
    func cancel(_ call: PluginCall) throws -> PluginAnswer {
        let returnURL = try url(call.body["returnUrl"]?.stringValue ?? "/")
        let row = try liveRow(call)
        guard let subscriptionID = row["stripeSubscriptionId"]?.stringValue, let customer = row["stripeCustomerId"]?.stringValue else {
            throw PluginError(code: "SUBSCRIPTION_NOT_FOUND", message: "Subscription not found")
        }
        let portal = try stripe.post("/v1/billing_portal/sessions", [
            ("customer", customer), ("return_url", returnURL), ("flow_data[type]", "subscription_cancel"),
            ("flow_data[subscription_cancel][subscription]", subscriptionID),
        ])
        return .json(["url": portal["url"] ?? .null, "redirect": .bool(!(call.body["disableRedirect"]?.boolValue ?? false))])
    }

    /// `POST /subscription/restore`: undoes a pending cancellation, in Stripe and in the row.
    func restore(_ call: PluginCall) throws -> PluginAnswer {
        let row = try liveRow(call)
        guard row["cancelAtPeriodEnd"]?.boolValue == true || row["cancelAt"]?.nonNull != nil else {
            throw PluginError(code: "SUBSCRIPTION_NOT_PENDING_CHANGE", message: "Subscription has no pending cancellation or scheduled plan change")
        }
        guard let subscriptionID = row["stripeSubscriptionId"]?.stringValue else {
            throw PluginError(code: "SUBSCRIPTION_NOT_FOUND", message: "Subscription not found")
        }
        // Stripe takes one of the two at a time: clear whichever the subscription holds.
        let current = try stripe.subscription(subscriptionID)
        let clearing: StripeClient.Form = current["cancel_at"]?.nonNull != nil && current["cancel_at_period_end"]?.boolValue != true
            ? [("cancel_at", "")] : [("cancel_at_period_end", "false")]
        let restored = try stripe.updateSubscription(subscriptionID, clearing)
        try rows.update(row, ["cancelAtPeriodEnd": false, "cancelAt": .null, "canceledAt": .null])
        return .json(restored)
    }

    /// `GET /subscription/list?referenceId&customerType`: the live rows with their plan's limits and price.
    func list(_ call: PluginCall) throws -> PluginAnswer {
        let reference = try references.resolve(call, referenceID: call.query("referenceId"), customerType: call.query("customerType"), for: .read)
        let live = try rows.of(reference: reference.id).filter(Self.isLive).map { row -> JSONValue in
            var entry = row.objectValue ?? [:]
            let plan = row["plan"]?.stringValue.flatMap(settings.plan(named:))
            entry["limits"] = plan?.limits ?? .null
            entry["priceId"] = plan.map { .string($0.priceID(annual: row["billingInterval"]?.stringValue == "year")) } ?? .null
            return .object(entry)
        }
        return .json(.array(live))
    }

    /// `POST /subscription/billing-portal {returnUrl, referenceId?, customerType?, locale?}`.
    func billingPortal(_ call: PluginCall) throws -> PluginAnswer {
        let returnURL = try url(call.body["returnUrl"]?.stringValue ?? "/")
        let reference = try references.resolve(call, referenceID: call.body["referenceId"]?.stringValue,
                                                customerType: call.body["customerType"]?.stringValue, for: .change)
        let customer = reference.kind == .user
            ? try host.call("users.find", ["id": .string(reference.userID)])["user"]?["stripeCustomerId"]?.stringValue
            : try customers.existingCustomer(ofOrganization: reference.id)
        guard let customer else { throw PluginError(status: 404, code: "CUSTOMER_NOT_FOUND", message: "Stripe customer not found for this user") }
        var form: StripeClient.Form = [("customer", customer), ("return_url", returnURL)]
        if let locale = call.body["locale"]?.stringValue { form.append(("locale", locale)) }
        let portal = try stripe.post("/v1/billing_portal/sessions", form)
        return .json(["url": portal["url"] ?? .null, "redirect": .bool(!(call.body["disableRedirect"]?.boolValue ?? false))])
    }

    /// `GET /subscription/success?callbackURL&checkoutSessionId`: syncs the paid checkout, then
    /// 302 to callbackURL whatever happened (Better Auth's behaviour).
    func success(_ call: PluginCall) throws -> PluginAnswer {
        var callback = call.query("callbackURL") ?? "/"
        if let sessionID = call.query("checkoutSessionId"), Self.isStripeID(sessionID) {
            callback = callback.replacingOccurrences(of: "{CHECKOUT_SESSION_ID}", with: sessionID)
            if (try? host.session(of: call)) != nil { try? sync(checkoutSession: sessionID) }
        }
        // The host checked callbackURL as given; what it became is checked again.
        return PluginAnswer.status(302).header("location", (try? url(callback)) ?? baseURL + "/")
    }

    private func sync(checkoutSession sessionID: String) throws {
        let session = try stripe.checkoutSession(sessionID)
        guard let rowID = session["metadata"]?["subscriptionId"]?.stringValue, let row = try rows.find(id: rowID), !Self.isLive(row),
              let subscriptionID = session["subscription"]?.stringValue ?? session["subscription"]?["id"]?.stringValue,
              session["payment_status"]?.stringValue != "unpaid" else { return }
        let subscription = try stripe.subscription(subscriptionID)
        try rows.update(row, rows.fields(of: subscription))
    }

    /// The live row a cancel or restore acts on: the named Stripe subscription of the reference, or
    /// its active one.
    private func liveRow(_ call: PluginCall) throws -> JSONValue {
        let reference = try references.resolve(call, referenceID: call.body["referenceId"]?.stringValue,
                                                customerType: call.body["customerType"]?.stringValue, for: .change)
        let row = try call.body["subscriptionId"]?.stringValue.map { try rows.find(stripeSubscriptionID: $0) } ?? rows.live(of: reference.id)
        guard let row, row["referenceId"]?.stringValue == reference.id, Self.isLive(row) else {
            throw PluginError(code: "SUBSCRIPTION_NOT_FOUND", message: "Subscription not found")
        }
        return row
    }

    /// A return URL: relative (resolved under baseURL) or on a trusted origin (else 403).
    private func url(_ given: String) throws -> String {
        if given.hasPrefix("/"), !given.hasPrefix("//"), !given.contains("\\") { return baseURL + given }
        guard try host.call("origins.check", ["url": .string(given)])["trusted"]?.boolValue == true else {
            throw PluginError(status: 403, code: "INVALID_CALLBACK_URL", message: "The URL's origin is not trusted")
        }
        return given
    }

    private static func isLive(_ row: JSONValue) -> Bool { SubscriptionRows.isLive(row) }

    /// Stripe's ids: a prefix, `_`, letters and digits.
    private static func isStripeID(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 255 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// What JavaScript's `encodeURIComponent` leaves as it is.
    private static let uriComponent = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")
}
