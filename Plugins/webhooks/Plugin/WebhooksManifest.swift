import GatehouseJSON

/// The webhooks plugin's routes, services, table, event subscription and jobs (docs/plugin-abi.md §8).
enum WebhooksManifest {
    static let sweepJob = "sweep"
    /// Runs once per finished request of `http.dispatch`, with its outcome.
    static let attemptedJob = "attempted"
    static let deliveriesRoute = 0
    static let redeliverRoute = 1

    static let json: JSONValue = [
        "endpoints": [
            ["method": "GET", "path": "/webhooks/deliveries", "auth": "session", "envelope": ["session", "query"],
             "summary": "Webhook deliveries, newest first, without their payload (adminUserIds)",
             "query": ["properties": .array(["status", "endpointId", "eventType", "limit", "offset"].map { ["name": .string($0), "type": "string"] })]],
            ["method": "POST", "path": "/webhooks/redeliver", "auth": "session", "envelope": ["session", "body"],
             "summary": "Send a delivery again from its first attempt (adminUserIds)",
             "body": ["properties": [["name": "id", "type": "string", "required": true]]]],
        ],
        "services": .array(WebhooksServices.names.map(JSONValue.string)),
        "schema": ["tables": [[
            "name": "webhookDelivery",
            "fields": [
                ["name": "endpointId", "type": "string", "index": true],
                ["name": "eventType", "type": "string", "index": true],
                // The exact body sent, so every attempt carries (and signs) the same bytes.
                ["name": "payload", "type": "string"],
                ["name": "status", "type": "string", "index": true],
                ["name": "attempts", "type": "number"],
                ["name": "nextAttemptAt", "type": "date", "index": true],
                // The claim of the attempt in flight (in the past when none is).
                ["name": "lockedUntil", "type": "date"],
                ["name": "lastStatusCode", "type": "number", "required": false],
                ["name": "lastError", "type": "string", "required": false],
                ["name": "createdAt", "type": "date", "defaultValue": "now", "index": true],
                ["name": "deliveredAt", "type": "date", "required": false],
            ],
        ]]],
        // Every event; the endpoints' own filters pick. Sync: the outbox row is committed
        // before the request that caused the event answers.
        "events": [["name": "*", "sync": true]],
        "jobs": [["name": .string(sweepJob), "everySeconds": 1], ["name": .string(attemptedJob)]],
        "errorCodes": [
            "INVALID_QUERY": "Invalid query parameter",
            "FORBIDDEN": "Only webhook administrators may see or resend deliveries",
            "DELIVERY_NOT_FOUND": "No webhook delivery has this id",
            "DELIVERY_IN_PROGRESS": "An attempt of this delivery is in flight",
            "ENDPOINT_UNAVAILABLE": "The delivery's endpoint is no longer configured, or is disabled",
        ],
    ]
}
