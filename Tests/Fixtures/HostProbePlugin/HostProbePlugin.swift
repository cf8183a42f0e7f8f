import Foundation
import GatehouseJSON
import PluginKit

/// Test fixture only (never bundled): `POST /host-probe` runs the host operation named in the
/// body (`{op, request}`) and answers what the host answered, so HTTP tests can drive the host
/// function table end to end. It also subscribes to every plugin event (ABI 1.1) and answers
/// `{op: "recordedEvents"}` with the envelopes it received, and keeps the runs of its job
/// `dispatched` (the outcomes of `http.dispatch`), answered by `{op: "recordedJobs"}`.
struct HostProbePlugin: GatehousePlugin {
    static let id = "host-probe"
    static let version = "1.0.0"
    static let name = "Host API probe (tests)"
    static let manifest: JSONValue = [
        "endpoints": [["method": "POST", "path": "/host-probe", "envelope": ["body"],
                       "body": ["properties": [["name": "op", "type": "string", "required": true], ["name": "request", "type": "object"]]]]],
        "schema": ["tables": [["name": "probeNote", "fields": [["name": "text", "type": "string"]]]]],
        "events": [["name": "*"]],
        "jobs": [["name": "dispatched"]],
    ]

    let host: PluginHost
    let received = ReceivedEvents()
    let jobRuns = ReceivedEvents()

    init(host: PluginHost, settings: JSONValue) throws {
        self.host = host
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        switch call.kind {
        case .event:
            received.append(call.envelope)
            return PluginAnswer()
        case .job:
            jobRuns.append(call.envelope)
            return .result([:])
        default:
            break
        }
        let op = call.body["op"]?.stringValue ?? ""
        if op == "recordedEvents" { return .json(["ok": true, "answer": .array(received.all)]) }
        if op == "recordedJobs" { return .json(["ok": true, "answer": .array(jobRuns.all)]) }
        do {
            return .json(["ok": true, "answer": try host.call(op, call.body["request"] ?? [:])])
        } catch let error as PluginError {
            return .json(["ok": false, "code": .string(error.code), "message": .string(error.message)])
        }
    }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: HostProbePlugin.self) }

final class ReceivedEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [JSONValue] = []

    func append(_ event: JSONValue) { lock.withLock { events.append(event) } }
    var all: [JSONValue] { lock.withLock { events } }
}
