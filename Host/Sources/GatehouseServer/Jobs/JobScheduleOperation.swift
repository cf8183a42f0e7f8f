import Foundation
import GatehouseJSON
import GatehousePluginABI
import GatehouseStorage

/// The host operation `jobs.schedule {name, runAt | delaySeconds, payload}` (ABI 1.2): stores one
/// run of a job of the calling plugin's manifest and answers `{id, runAt}`. The scheduler runs it
/// once it is due (`JobScheduler`).
enum JobScheduleOperation {
    static let name = "jobs.schedule"
    /// Dates stay within four-digit years, which every database reads back.
    private static let longestDelay: Double = 100 * 365.25 * 86_400

    static func run(_ input: JSONValue, host: PluginHostContext, auth: AuthContext) async throws -> JSONValue {
        let name = try declaredJob(input, "name", of: host)
        let row = try await ScheduledJobs(adapter: auth.store.adapter)
            .add(plugin: host.pluginID, name: name, runAt: try runAt(input), payload: input["payload"] ?? .null)
        host.logger.debug("job scheduled", metadata: ["job": "\(name)", "id": "\(row.id)"])
        return ["id": .string(row.id), "runAt": row["runAt"]?.json ?? .null]
    }

    /// The job that `input[key]` names, which must be one of the calling plugin's manifest jobs.
    static func declaredJob(_ input: JSONValue, _ key: String, of host: PluginHostContext) throws -> String {
        let name = try HostOperations.required(input, key)
        guard host.jobs.contains(where: { $0.name == name }) else {
            let declared = host.jobs.map(\.name)
            throw invalid("UNKNOWN_JOB", "plugin \(host.pluginID) declares no job \"\(name)\" in its manifest's jobs"
                          + (declared.isEmpty ? " (jobs need a plugin built for ABI 1.2)" : " (declared: \(declared.joined(separator: ", ")))"))
        }
        return name
    }

    /// Exactly one of `runAt` (ISO-8601; a past time means as soon as possible) and
    /// `delaySeconds` (a number of seconds, 0 or more).
    private static func runAt(_ input: JSONValue) throws -> Date {
        switch (input["runAt"]?.nonNull, input["delaySeconds"]?.nonNull) {
        case (nil, nil):
            throw invalid("MISSING_FIELD", "give \"runAt\" (an ISO-8601 date-time) or \"delaySeconds\"")
        case (.some, .some):
            throw invalid("INVALID_SCHEDULE", "give either \"runAt\" or \"delaySeconds\", not both")
        case (let runAt?, nil):
            guard let text = runAt.stringValue, let date = ISOTimestamp.parse(text) else {
                throw invalid("INVALID_RUN_AT", "\"runAt\" must be an ISO-8601 date-time such as 2026-11-23T01:26:20.687Z")
            }
            return date
        case (nil, let delay?):
            guard let seconds = delay.doubleValue, seconds >= 0, seconds <= longestDelay else {
                throw invalid("INVALID_DELAY", "\"delaySeconds\" must be a number of seconds from 0 to \(Int(longestDelay))")
            }
            return Date(timeIntervalSinceNow: seconds)
        }
    }

    private static func invalid(_ code: String, _ message: String) -> HostOperations.Failure {
        HostOperations.Failure(status: GH_INVALID, code: code, message: message)
    }
}
