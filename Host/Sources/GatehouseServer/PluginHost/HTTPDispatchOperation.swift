import Foundation
import GatehouseCrypto
import GatehouseJSON
import GatehouseOutbound
import GatehousePluginABI
import GatehouseStorage
import Metrics
import NIOConcurrencyHelpers

/// The host operation `http.dispatch {request, job, context?, allowPrivateNetworks?}` (ABI 1.2
/// host): an outbound HTTP request that does not wait. It answers `{id}` at once; the request then
/// runs on a thread of its own (no plugin worker waits for a slow server), and its outcome comes
/// back as a run of the caller's manifest job `job` with the payload
/// `{id, context, response: {status, body}}` or `{id, context, error: {code, message}}`.
///
/// The run goes to the instance that dispatched, as soon as the request ends (it may overlap
/// other runs of the same job). If that instance no longer takes calls (a reload retired it), the
/// outcome is stored as scheduled work of the job (`jobs.schedule`) and runs on the current
/// generation. A process that dies meanwhile loses the outcome: callers that need every outcome
/// keep their own record of what is outstanding (the webhooks plugin's outbox does).
///
/// Redirects are never followed and, unless `allowPrivateNetworks` is true, connections go only to
/// public addresses (`ConnectionGuard`; a refusal is the error `ADDRESS_REFUSED`).
enum HTTPDispatchOperation {
    static let name = "http.dispatch"
    /// Requests in flight per process; beyond this `http.dispatch` answers `DISPATCH_BUSY`.
    static let maxInFlight = 256
    static let maxTimeoutSeconds = 120
    private static let inFlight = NIOLockedValueBox(0)

    static func run(_ input: JSONValue, host: PluginHostContext, auth: AuthContext) throws -> JSONValue {
        let job = try JobScheduleOperation.declaredJob(input, "job", of: host)
        let request = try outboundRequest(input["request"], allowPrivateNetworks: input["allowPrivateNetworks"]?.boolValue ?? false)
        let admitted = inFlight.withLockedValue { count in
            guard count < maxInFlight else { return false }
            count += 1
            return true
        }
        guard admitted else {
            throw HostOperations.Failure(status: GH_ERROR, code: "DISPATCH_BUSY",
                                         message: "\(maxInFlight) outbound requests are in flight; try again shortly")
        }
        let id = RandomIdentifier.generate()
        let context = input["context"] ?? .null
        // Detached: the outcome belongs to no request, so it must not run in the caller's event scope.
        Task.detached {
            let outcome = await request.perform()
            inFlight.withLockedValue { $0 -= 1 }
            let result: JSONValue = switch outcome {
            case .response(let status, let body):
                ["id": .string(id), "context": context, "response": ["status": .int(status), "body": .string(String(decoding: body, as: UTF8.self))]]
            case .failure(let code, let message):
                ["id": .string(id), "context": context, "error": ["code": .string(code), "message": .string(message)]]
            }
            Counter(label: "gatehouse_plugin_http_dispatches_total",
                    dimensions: [("plugin", host.pluginID), ("outcome", outcome.metricLabel)]).increment()
            await deliver(result, to: job, dispatchID: id, host: host, auth: auth)
        }
        return ["id": .string(id)]
    }

    /// Runs the caller's job with the outcome; stores it as scheduled work when the instance
    /// that dispatched is gone.
    private static func deliver(_ payload: JSONValue, to job: String, dispatchID: String, host: PluginHostContext, auth: AuthContext) async {
        if let plugin = auth.services.plugin(host.pluginID), let index = plugin.manifest.jobs.firstIndex(where: { $0.name == job }) {
            do {
                let answer = try await plugin.runJob(index, envelope: ["name": .string(job), "payload": payload, "id": .string(dispatchID)])
                if let error = answer["error"]?.nonNull {
                    host.logger.error("plugin job failed", metadata: ["job": "\(job)", "error": "\(error.serialized())"])
                }
                return
            } catch is PluginRetired {
                // Below: the current generation takes it.
            } catch {
                host.logger.error("plugin job failed", metadata: ["job": "\(job)", "error": "\(error)"])
                return
            }
        }
        do {
            _ = try await ScheduledJobs(adapter: auth.store.adapter).add(plugin: host.pluginID, name: job, runAt: Date(), payload: payload)
        } catch {
            host.logger.error("dispatch outcome lost", metadata: ["job": "\(job)", "id": "\(dispatchID)", "error": "\(error)"])
        }
    }

    /// `{method = POST, url, headers: {name: value}, body?, timeoutSeconds = 15}`, checked: an
    /// http(s) URL, a method and header names that are HTTP tokens, values without line breaks.
    static func outboundRequest(_ value: JSONValue?, allowPrivateNetworks: Bool) throws -> OutboundRequest {
        guard let value, value.objectValue != nil else { throw invalid("\"request\" must be an object {method, url, headers, body, timeoutSeconds}") }
        guard let url = value["url"]?.stringValue, let scheme = url.split(separator: ":", maxSplits: 1).first?.lowercased(),
              ["http", "https"].contains(scheme), !url.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F })
        else { throw invalid("request.url must be an http:// or https:// URL") }
        let method = value["method"]?.stringValue ?? "POST"
        guard isToken(method) else { throw invalid("request.method must be an HTTP method such as POST") }
        var headers: [(name: String, value: String)] = []
        for (name, header) in value["headers"]?.objectValue ?? [:] {
            // Bytes, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
            guard isToken(name), let text = header.stringValue, !text.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else {
                throw invalid("request.headers must map header names to single-line strings")
            }
            headers.append((name, text))
        }
        if let body = value["body"], body.nonNull != nil, body.stringValue == nil { throw invalid("request.body must be a string") }
        let timeout = value["timeoutSeconds"]?.nonNull.map { $0.intValue ?? 0 } ?? 15
        guard (1...maxTimeoutSeconds).contains(timeout) else { throw invalid("request.timeoutSeconds must be a whole number from 1 to \(maxTimeoutSeconds)") }
        return OutboundRequest(method: method.uppercased(), url: url, headers: headers, body: value["body"]?.stringValue, timeoutSeconds: timeout,
                               allowPrivateNetworks: allowPrivateNetworks)
    }

    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "!#$%&'*+-.^_`|~".unicodeScalars.contains($0)) }
    }

    private static func invalid(_ message: String) -> HostOperations.Failure {
        HostOperations.Failure(status: GH_INVALID, code: "INVALID_REQUEST", message: message)
    }
}

private extension OutboundRequest.Outcome {
    var metricLabel: String {
        switch self {
        case .response(let status, _): "\(status / 100)xx"
        case .failure(let code, _): code.lowercased()
        }
    }
}
