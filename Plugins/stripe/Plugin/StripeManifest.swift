import GatehouseJSON

/// The stripe plugin's routes, tables, fields and events (docs/plugin-abi.md §8).
enum StripeManifest {
    enum Route: Int, CaseIterable {
        case upgrade, cancel, restore, list, billingPortal, success, webhook
    }

    enum Event: Int {
        case userCreated, memberAdded, memberRemoved
    }

    enum Job: Int {
        /// `{organizationId}`: set an organization's seats again after Stripe could not be reached.
        case reconcileSeats
        /// Daily: forget applied webhook event ids past their retention.
        case purgeEvents
    }

    private static func route(_ method: String, _ path: String, _ summary: String, auth: String = "session",
                              envelope: JSONValue = ["session", "body", "query"]) -> JSONValue {
        ["method": .string(method), "path": .string(path), "auth": .string(auth), "envelope": envelope, "summary": .string(summary)]
    }

    static let json: JSONValue = [
        "endpoints": [
            route("POST", "/subscription/upgrade", "Subscribe to a plan (Checkout), or change plan (billing portal)"),
            route("POST", "/subscription/cancel", "Cancel a subscription (billing portal)"),
            route("POST", "/subscription/restore", "Undo a pending cancellation"),
            route("GET", "/subscription/list", "Active and trialing subscriptions of a reference"),
            route("POST", "/subscription/billing-portal", "A billing portal session"),
            route("GET", "/subscription/success", "Checkout's return: syncs the subscription, then redirects", auth: "none",
                  envelope: ["query", "headers"]),
            // Stripe's signed deliveries: the exact bytes are signed, and Stripe sends no Origin.
            ["method": "POST", "path": "/stripe/webhook", "rawBody": true, "originCheck": false,
             "envelope": ["headers", "rawBody"], "summary": "Stripe webhook endpoint"],
        ],
        "events": [
            ["name": "user.created", "sync": true],
            ["name": "organization.member.added", "sync": true],
            ["name": "organization.member.removed", "sync": true],
        ],
        "jobs": [["name": "reconcileSeats"], ["name": "purgeEvents", "everySeconds": 86400]],
        "uses": [["plugin": "organization", "optional": true]],
        "schema": [
            "tables": [
                ["name": "subscription", "fields": [
                    ["name": "plan", "type": "string"],
                    ["name": "referenceId", "type": "string", "index": true],
                    ["name": "stripeCustomerId", "type": "string", "required": false],
                    ["name": "stripeSubscriptionId", "type": "string", "required": false, "index": true],
                    ["name": "status", "type": "string", "defaultValue": "incomplete"],
                    ["name": "periodStart", "type": "date", "required": false],
                    ["name": "periodEnd", "type": "date", "required": false],
                    ["name": "trialStart", "type": "date", "required": false],
                    ["name": "trialEnd", "type": "date", "required": false],
                    ["name": "cancelAtPeriodEnd", "type": "boolean", "required": false, "defaultValue": false],
                    ["name": "cancelAt", "type": "date", "required": false],
                    ["name": "canceledAt", "type": "date", "required": false],
                    ["name": "endedAt", "type": "date", "required": false],
                    ["name": "seats", "type": "number", "required": false],
                    ["name": "billingInterval", "type": "string", "required": false],
                    ["name": "stripeScheduleId", "type": "string", "required": false],
                ]],
                // Events applied, by Stripe's id: a redelivery is answered without effect.
                ["name": "stripeWebhookEvent", "fields": [
                    ["name": "eventId", "type": "string", "unique": true],
                    ["name": "type", "type": "string"],
                    ["name": "createdAt", "type": "date", "defaultValue": "now"],
                ]],
            ],
            "fields": [
                "user": [["name": "stripeCustomerId", "type": "string", "required": false]],
                // Only beside the organization plugin (ABI 1.4: left out when it is not loaded).
                "organization": [["name": "stripeCustomerId", "type": "string", "required": false]],
            ],
        ],
        "errorCodes": [
            "SUBSCRIPTION_NOT_FOUND": "Subscription not found",
            "SUBSCRIPTION_PLAN_NOT_FOUND": "Subscription plan not found",
            "ALREADY_SUBSCRIBED_PLAN": "You're already subscribed to this plan",
            "REFERENCE_ID_NOT_ALLOWED": "Reference id is not allowed",
            "CUSTOMER_NOT_FOUND": "Stripe customer not found for this user",
            "UNABLE_TO_CREATE_CUSTOMER": "Unable to create customer",
            "STRIPE_SIGNATURE_NOT_FOUND": "Stripe signature not found",
            "STRIPE_WEBHOOK_ERROR": "Stripe webhook error",
            "FAILED_TO_CONSTRUCT_STRIPE_EVENT": "Failed to construct Stripe event",
            "SUBSCRIPTION_NOT_PENDING_CHANGE": "Subscription has no pending cancellation or scheduled plan change",
            "ORGANIZATION_NOT_FOUND": "Organization not found",
            "ORGANIZATION_SUBSCRIPTION_NOT_ENABLED": "Organization subscription is not enabled",
            "ORGANIZATION_REFERENCE_ID_REQUIRED": "Reference ID is required. Provide referenceId or set activeOrganizationId in session",
        ],
    ]
}
