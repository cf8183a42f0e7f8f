import Foundation
import GatehouseJSON
import PluginKit

/// The durable outbox `webhookDelivery`: one row per event and endpoint, written before the
/// request that caused the event answers, and the state of its delivery.
///
/// A row is sent by whoever claims it: a compare-and-swap that counts the attempt (`attempts`
/// from n to n+1) and leases the row (`lockedUntil`, past the request's timeout) only while it is
/// pending, due and unleased, so no delivery is ever sent twice at once, here or on another
/// instance. The outcome comes back as the `attempted` job (host operation `http.dispatch`) and is
/// recorded only if the row still stands at that attempt. A lease that runs out without an
/// outcome (the process died) makes the row due again for the sweep.
struct WebhookOutbox: Sendable {
    static let table = "webhookDelivery"
    static let statuses: Set<String> = ["pending", "delivered", "dead"]
    /// How long a claim outlives the request's own timeout.
    static let leaseMargin: TimeInterval = 10

    let host: PluginHost
    let db: PluginDatabase
    let settings: WebhooksSettings

    /// Writes one pending row per enabled endpoint that takes `eventType`; answers them.
    /// The body is fixed here, so every attempt and redelivery sends the same bytes.
    func enqueue(eventType: String, data: JSONValue, at now: Date) throws -> [JSONValue] {
        let body: JSONValue = ["type": .string(eventType), "timestamp": .string(ISODate.format(now)), "data": data]
        let payload = JSONValue.string(body.serialized())
        let stamp = JSONValue.string(ISODate.format(now))
        return try settings.endpoints.filter { $0.enabled && $0.accepts(eventType) }.map { endpoint in
            try db.create(Self.table, [
                "endpointId": .string(endpoint.id), "eventType": .string(eventType), "payload": payload, "status": "pending",
                "attempts": 0, "nextAttemptAt": stamp, "lockedUntil": stamp, "createdAt": stamp,
            ])
        }
    }

    /// The pending rows due by `now` and not leased, oldest due first.
    func due(at now: Date, limit: Int) throws -> [JSONValue] {
        let stamp = JSONValue.string(ISODate.format(now))
        return try db.findMany(Self.table, [("status", "=", "pending"), ("nextAttemptAt", "<=", stamp), ("lockedUntil", "<=", stamp)],
                               orderBy: "nextAttemptAt", limit: limit)
    }

    /// Claims `row` for its next attempt and dispatches it; does nothing when another claim won
    /// or the row is not due. A row whose endpoint is gone or disabled goes to `dead`. The lock's
    /// time doubles as the claim's token: an outcome counts only while the row still holds it.
    func attempt(_ row: JSONValue) throws {
        guard let id = row["id"]?.stringValue, let made = row["attempts"]?.intValue, let payload = row["payload"]?.stringValue else { return }
        let now = Date()
        let stamp = JSONValue.string(ISODate.format(now))
        let dueAndFree: [PluginDatabase.Condition] = [
            PluginDatabase.equals("id", .string(id)), PluginDatabase.equals("attempts", .int(made)), ("status", "=", "pending"),
            ("nextAttemptAt", "<=", stamp), ("lockedUntil", "<=", stamp),
        ]
        guard let endpoint = row["endpointId"]?.stringValue.flatMap(settings.endpoint), endpoint.enabled else {
            try db.update(Self.table, dueAndFree, ["status": "dead", "lastError": .string(Self.unavailable(row))])
            return
        }
        let timestamp = Int(now.timeIntervalSince1970)
        let signature = try endpoint.signature.header(id: id, timestamp: timestamp, body: payload)
        let lease = JSONValue.string(ISODate.format(now.addingTimeInterval(TimeInterval(settings.timeoutSeconds) + Self.leaseMargin)))
        guard try db.update(Self.table, dueAndFree, ["attempts": .int(made + 1), "lockedUntil": lease]) == 1 else { return }
        let claim = Claim(id: id, attempt: made + 1, lease: lease)
        do {
            _ = try host.call("http.dispatch", [
                "request": [
                    "method": "POST", "url": .string(endpoint.url), "body": .string(payload), "timeoutSeconds": .int(settings.timeoutSeconds),
                    "headers": [
                        "content-type": "application/json", "user-agent": "Gatehouse-Webhooks/1.0", "webhook-id": .string(id),
                        "webhook-timestamp": .string(String(timestamp)), "webhook-signature": .string(signature),
                    ],
                ],
                "allowPrivateNetworks": .bool(settings.allowPrivateNetworks),
                "job": .string(WebhooksManifest.attemptedJob),
                "context": ["deliveryId": .string(id), "attempt": .int(claim.attempt), "lease": lease],
            ])
        } catch let error as PluginError where error.code == "INVALID_REQUEST" {
            try settle(claim, ["status": "dead", "lastError": .string(error.message), "lockedUntil": stamp])
        } catch {
            // Not sent (the host is busy): undo the claim, uncounted, for the next sweep.
            try settle(claim, ["attempts": .int(made), "lockedUntil": stamp])
            host.log(.warning, "webhook delivery \(id) not dispatched, will retry: \(error)")
        }
    }

    /// One attempt's hold on its row: the attempt number and the lock written with it.
    struct Claim {
        let id: String
        let attempt: Int
        let lease: JSONValue
    }

    private static func unavailable(_ row: JSONValue) -> String {
        "endpoint \(row["endpointId"]?.stringValue ?? "?") is no longer configured, or is disabled"
    }

    /// Records the outcome of an attempt (the `attempted` job's payload: `{context: {deliveryId,
    /// attempt, lease}, response: {status} | error: {code, message}}`). 2xx: `delivered`. Otherwise
    /// the next attempt is scheduled, or the row is `dead` when the attempts are used up or the
    /// address was refused. An outcome for a claim the row no longer holds is ignored.
    func record(_ outcome: JSONValue, at now: Date) throws {
        guard let id = outcome["context"]?["deliveryId"]?.stringValue, let attempt = outcome["context"]?["attempt"]?.intValue,
              let lease = outcome["context"]?["lease"]?.nonNull else { return }
        let claim = Claim(id: id, attempt: attempt, lease: lease)
        let stamp = JSONValue.string(ISODate.format(now))
        if let status = outcome["response"]?["status"]?.intValue, (200..<300).contains(status) {
            try settle(claim, ["status": "delivered", "deliveredAt": stamp, "lastStatusCode": .int(status), "lastError": .null, "lockedUntil": stamp])
            return
        }
        let statusCode = outcome["response"]?["status"]?.intValue
        let reason: String = if let statusCode {
            "the endpoint answered HTTP \(statusCode)" + ((300..<400).contains(statusCode) ? " (redirects are not followed)" : "")
        } else {
            outcome["error"]?["message"]?.stringValue ?? "the request failed"
        }
        var changes: [String: JSONValue] = ["lastStatusCode": statusCode.map(JSONValue.int) ?? .null, "lastError": .string(reason), "lockedUntil": stamp]
        if outcome["error"]?["code"]?.stringValue == "ADDRESS_REFUSED" || settings.retry.isExhausted(afterAttempt: attempt) {
            changes["status"] = "dead"
        } else {
            let delay = settings.retry.delay(afterAttempt: attempt, unit: Double.random(in: -1...1))
            changes["nextAttemptAt"] = .string(ISODate.format(now.addingTimeInterval(delay)))
        }
        try settle(claim, changes)
    }

    /// `POST /webhooks/redeliver`: back to pending with no attempts made, sent at once. Refused
    /// while an attempt is in flight, and for an endpoint no longer configured or enabled.
    func redeliver(_ id: String, at now: Date) throws {
        guard let row = try db.findOne(Self.table, [PluginDatabase.equals("id", .string(id))]),
              let status = row["status"]?.stringValue, let made = row["attempts"]?.intValue
        else { throw PluginError(status: 404, code: "DELIVERY_NOT_FOUND", message: "No webhook delivery has this id") }
        guard row["endpointId"]?.stringValue.flatMap(settings.endpoint)?.enabled == true else {
            throw PluginError(status: 409, code: "ENDPOINT_UNAVAILABLE", message: Self.unavailable(row))
        }
        // Pending with no attempt made: its first attempt (perhaps another redelivery's) is on its way.
        guard status != "pending" || made > 0 else { throw Self.inProgress }
        let stamp = JSONValue.string(ISODate.format(now))
        let reset = try db.update(Self.table, [
            PluginDatabase.equals("id", .string(id)), PluginDatabase.equals("attempts", .int(made)), PluginDatabase.equals("status", .string(status)),
            ("lockedUntil", "<=", stamp),
        ], ["status": "pending", "attempts": 0, "nextAttemptAt": stamp, "deliveredAt": .null])
        guard reset == 1 else { throw Self.inProgress }
        var pending = row.objectValue ?? [:]
        pending["attempts"] = 0
        try attempt(.object(pending))
    }

    static let inProgress = PluginError(status: 409, code: "DELIVERY_IN_PROGRESS",
                                        message: "An attempt of this delivery is in flight; try again when it ends")

    /// Applies `changes` if the row is still pending under `claim`.
    private func settle(_ claim: Claim, _ changes: [String: JSONValue]) throws {
        try db.update(Self.table, [PluginDatabase.equals("id", .string(claim.id)), PluginDatabase.equals("attempts", .int(claim.attempt)),
                                   ("status", "=", "pending"), ("lockedUntil", "=", claim.lease)],
                      .object(.init(uniqueKeysWithValues: changes.map { ($0.key, $0.value) })))
    }
}
