import Foundation
import GatehouseJSON
import NetworkAddress
import PluginKit
import WebhookDelivery

/// One configured receiver: `{id, url, secret, events = ["*"], enabled = true}`.
struct WebhookEndpoint: Sendable {
    let id: String
    let url: String
    let signature: WebhookSignature
    /// Exact event names, `prefix.*` or `*`.
    let events: [String]
    let enabled: Bool

    func accepts(_ eventType: String) -> Bool {
        events.contains { pattern in pattern.hasSuffix("*") ? eventType.hasPrefix(pattern.dropLast()) : eventType == pattern }
    }
}

/// `plugins.webhooks`. An invalid setting refuses the plugin with a message naming its key
/// (`plugins.webhooks.endpoints[0].secret: …`) and never its value: secrets stay out of logs.
struct WebhooksSettings: Sendable {
    let endpoints: [WebhookEndpoint]
    let timeoutSeconds: Int
    let retry: RetrySchedule
    let allowPrivateNetworks: Bool
    let adminUserIDs: Set<String>
    /// Endpoints whose URL names a loopback or private host while private networks are not
    /// allowed: they load, and every delivery to them is refused (dead).
    let privateURLs: [String]

    static let endpointKeys: Set<String> = ["id", "url", "secret", "events", "enabled"]
    static let retryKeys: Set<String> = ["maxAttempts", "initialDelay", "maxDelay", "jitter"]

    /// `enabled` is the host's own key (`plugins.<id>.enabled`).
    static let keys: Set<String> = ["endpoints", "timeoutSeconds", "retry", "allowPrivateNetworks", "adminUserIds", "enabled"]

    init(_ json: JSONValue, hmac: @escaping WebhookSignature.HMACSHA256) throws {
        if let unknown = json.objectValue?.keys.first(where: { !Self.keys.contains($0) }) {
            throw Self.invalid(unknown, "is not a webhooks setting (endpoints, timeoutSeconds, retry, allowPrivateNetworks, adminUserIds)")
        }
        timeoutSeconds = try Self.number(json["timeoutSeconds"], "timeoutSeconds", default: 15, in: 1...120, whole: true).intValue
        allowPrivateNetworks = try Self.flag(json["allowPrivateNetworks"], "allowPrivateNetworks", default: false)
        retry = try Self.retry(json["retry"])
        adminUserIDs = Set(try Self.strings(json["adminUserIds"], "adminUserIds") ?? [])
        var endpoints: [WebhookEndpoint] = []
        for (index, entry) in (try Self.list(json["endpoints"], "endpoints")).enumerated() {
            let endpoint = try Self.endpoint(entry, key: "endpoints[\(index)]", hmac: hmac)
            guard !endpoints.contains(where: { $0.id == endpoint.id }) else {
                throw Self.invalid("endpoints[\(index)].id", "duplicates the id of another endpoint")
            }
            endpoints.append(endpoint)
        }
        self.endpoints = endpoints
        privateURLs = allowPrivateNetworks ? [] : endpoints.filter { URLComponents(string: $0.url)?.host.map(AddressScope.namesPrivateHost) ?? false }.map(\.id)
    }

    func endpoint(_ id: String) -> WebhookEndpoint? {
        endpoints.first { $0.id == id }
    }

    private static func endpoint(_ entry: JSONValue, key: String, hmac: @escaping WebhookSignature.HMACSHA256) throws -> WebhookEndpoint {
        guard let object = entry.objectValue else { throw invalid(key, "must be an object {id, url, secret, events, enabled}") }
        if let unknown = object.keys.first(where: { !endpointKeys.contains($0) }) {
            throw invalid("\(key).\(unknown)", "is not an endpoint setting (id, url, secret, events, enabled)")
        }
        guard let id = entry["id"]?.stringValue, (1...64).contains(id.count),
              id.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) })
        else { throw invalid("\(key).id", "must be 1 to 64 letters, digits, '-', '_' or '.'") }
        guard let url = entry["url"]?.stringValue, let components = URLComponents(string: url),
              ["http", "https"].contains(components.scheme?.lowercased() ?? ""), !(components.host ?? "").isEmpty,
              components.user == nil, components.password == nil
        else { throw invalid("\(key).url", "must be an absolute http:// or https:// URL with a host and no credentials") }
        guard let secret = entry["secret"]?.stringValue, let signature = WebhookSignature(secret: secret, hmac: hmac) else {
            throw invalid("\(key).secret", "must be whsec_ followed by the base64 of 24 to 64 random bytes")
        }
        let events = try strings(entry["events"], "\(key).events") ?? ["*"]
        guard !events.isEmpty else { throw invalid("\(key).events", "must list at least one event name, prefix.* or *") }
        for (index, pattern) in events.enumerated() where pattern.isEmpty || pattern.dropLast().contains("*")
            || (pattern.hasSuffix("*") && pattern != "*" && !pattern.hasSuffix(".*")) {
            throw invalid("\(key).events[\(index)]", "must be an event name, a prefix ending in .* or *")
        }
        return WebhookEndpoint(id: id, url: url, signature: signature, events: events,
                               enabled: try flag(entry["enabled"], "\(key).enabled", default: true))
    }

    private static func retry(_ value: JSONValue?) throws -> RetrySchedule {
        guard let value = value?.nonNull else { return RetrySchedule() }
        guard let object = value.objectValue else { throw invalid("retry", "must be an object {maxAttempts, initialDelay, maxDelay, jitter}") }
        if let unknown = object.keys.first(where: { !retryKeys.contains($0) }) {
            throw invalid("retry.\(unknown)", "is not a retry setting (maxAttempts, initialDelay, maxDelay, jitter)")
        }
        let defaults = RetrySchedule()
        let maxAttempts = try number(value["maxAttempts"], "retry.maxAttempts", default: Double(defaults.maxAttempts), in: 1...100, whole: true)
        let initialDelay = try number(value["initialDelay"], "retry.initialDelay", default: defaults.initialDelay, in: 0.001...86_400)
        let maxDelay = try number(value["maxDelay"], "retry.maxDelay", default: defaults.maxDelay, in: 0.001...2_592_000)
        guard maxDelay >= initialDelay else { throw invalid("retry.maxDelay", "must be at least retry.initialDelay") }
        let jitter = try number(value["jitter"], "retry.jitter", default: defaults.jitter, in: 0...1)
        return RetrySchedule(maxAttempts: maxAttempts.intValue, initialDelay: initialDelay, maxDelay: maxDelay, jitter: jitter)
    }

    private static func list(_ value: JSONValue?, _ key: String) throws -> [JSONValue] {
        guard let value = value?.nonNull else { return [] }
        guard let items = value.arrayValue else { throw invalid(key, "must be a list") }
        return items
    }

    private static func strings(_ value: JSONValue?, _ key: String) throws -> [String]? {
        guard let value = value?.nonNull else { return nil }
        guard let items = value.arrayValue else { throw invalid(key, "must be a list of strings") }
        return try items.enumerated().map { index, item in
            guard let text = item.stringValue else { throw invalid("\(key)[\(index)]", "must be a string") }
            return text
        }
    }

    private static func flag(_ value: JSONValue?, _ key: String, default fallback: Bool) throws -> Bool {
        guard let value = value?.nonNull else { return fallback }
        guard let flag = value.boolValue else { throw invalid(key, "must be true or false") }
        return flag
    }

    private static func number(_ value: JSONValue?, _ key: String, default fallback: Double, in range: ClosedRange<Double>,
                               whole: Bool = false) throws -> Double {
        guard let value = value?.nonNull else { return fallback }
        guard let number = value.doubleValue, range.contains(number), !whole || number.rounded() == number else {
            let bounds = whole ? "\(Int(range.lowerBound)) to \(Int(range.upperBound))" : "\(range.lowerBound) to \(range.upperBound)"
            throw invalid(key, "must be a \(whole ? "whole number" : "number") from \(bounds)")
        }
        return number
    }

    private static func invalid(_ key: String, _ problem: String) -> PluginError {
        PluginError(code: "INVALID_SETTING", message: "plugins.webhooks.\(key) \(problem)")
    }
}

private extension Double {
    var intValue: Int { Int(self) }
}
