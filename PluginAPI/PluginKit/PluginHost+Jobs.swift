import Foundation
import GatehouseJSON

/// One-off runs of the manifest's jobs (ABI 1.2, host operation `jobs.schedule`, docs/plugin-abi.md
/// §11). The run arrives as `PluginCall.Kind.job(index)` with `{name, payload, id, runAt,
/// scheduledAt}`. Blocking calls: use them from blocking callbacks (and jobs).
extension PluginHost {
    /// Schedules manifest job `name` to run once, `delay` from now; returns the run's id.
    @discardableResult
    public func scheduleJob(_ name: String, after delay: Duration = .zero, payload: JSONValue = .null) throws -> String {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        return try schedule(["name": .string(name), "delaySeconds": .number(seconds), "payload": payload])
    }

    /// Schedules manifest job `name` to run once at `date` (a past date: as soon as possible).
    @discardableResult
    public func scheduleJob(_ name: String, at date: Date, payload: JSONValue = .null) throws -> String {
        try schedule(["name": .string(name), "runAt": .string(ISODate.format(date)), "payload": payload])
    }

    private func schedule(_ request: JSONValue) throws -> String {
        guard let id = try call("jobs.schedule", request)["id"]?.stringValue else {
            throw PluginError(status: 500, code: "HOST_ERROR", message: "jobs.schedule answered no id")
        }
        return id
    }
}
