import Foundation
import OrderedCollections
import GatehouseJSON
import PluginKit

/// A refusal from Stripe's API (4xx): its message and code reach the client as a 400.
struct StripeRefusal: Error {
    let status: Int
    let code: String
    let message: String
}

/// Stripe's API could not be reached or failed (5xx, a timeout): nothing was done.
struct StripeUnavailable: Error {
    let reason: String
}

/// Stripe's REST API through the host's `http.fetch`: form-encoded requests with
/// `Authorization: Bearer <secretKey>`, JSON answers.
struct StripeClient: Sendable {
    let host: PluginHost
    let baseURL: String
    let secretKey: String

    typealias Form = [(String, String)]

    func get(_ path: String, _ query: Form = []) throws -> JSONValue {
        try send("GET", path + (query.isEmpty ? "" : "?" + Self.encode(query)), body: nil)
    }

    func post(_ path: String, _ form: Form) throws -> JSONValue {
        try send("POST", path, body: Self.encode(form))
    }

    private func send(_ method: String, _ path: String, body: String?) throws -> JSONValue {
        var request: OrderedDictionary<String, JSONValue> = [
            "method": .string(method), "url": .string(baseURL + path), "timeoutSeconds": 20,
            "headers": ["authorization": .string("Bearer " + secretKey), "content-type": "application/x-www-form-urlencoded",
                        "stripe-version": "2025-03-31.basil"],
        ]
        if let body { request["body"] = .string(body) }
        let answer: JSONValue
        do {
            answer = try host.call("http.fetch", .object(request))
        } catch let error as PluginError {
            throw StripeUnavailable(reason: error.message)
        }
        let status = answer["status"]?.intValue ?? 0
        let json = (answer["body"]?.stringValue).flatMap { try? JSONValue.parse($0) } ?? .null
        guard (200..<300).contains(status) else {
            // Rate limits, lock timeouts and a key Stripe no longer takes pass: the request may work later.
            if (400..<500).contains(status), ![401, 403, 409, 429].contains(status) {
                throw StripeRefusal(status: status, code: json["error"]?["code"]?.stringValue ?? "STRIPE_ERROR",
                                    message: json["error"]?["message"]?.stringValue ?? "Stripe refused the request")
            }
            throw StripeUnavailable(reason: "Stripe answered \(status)")
        }
        return json
    }

    func subscription(_ id: String) throws -> JSONValue { try get("/v1/subscriptions/" + Self.segment(id)) }

    func updateSubscription(_ id: String, _ form: Form) throws -> JSONValue { try post("/v1/subscriptions/" + Self.segment(id), form) }

    func updateCustomer(_ id: String, _ form: Form) throws -> JSONValue { try post("/v1/customers/" + Self.segment(id), form) }

    func checkoutSession(_ id: String) throws -> JSONValue { try get("/v1/checkout/sessions/" + Self.segment(id)) }

    /// An id as one path segment: whatever it holds, it cannot reach another resource.
    private static func segment(_ id: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `application/x-www-form-urlencoded`, with Stripe's bracketed keys (`metadata[userId]`) as given.
    static func encode(_ form: Form) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return form.map { key, value in
            (key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key) + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }.joined(separator: "&")
    }
}
