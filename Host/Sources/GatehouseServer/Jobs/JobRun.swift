import Dispatch
import GatehouseJSON
import Metrics

/// One run of a job whose lease this process holds: the GH_CALL_JOB callback on a plugin worker,
/// the lease renewed meanwhile, then the outcome counted and the lease released. A scheduled
/// run's row is deleted afterwards whatever the outcome: a failed run is logged and counted, not
/// retried (a plugin that wants a retry schedules one). A run that never reached the plugin (its
/// instance retired meanwhile) keeps its row for the next generation.
struct JobRun: Sendable {
    let job: DeclaredJob
    let envelope: JSONValue
    /// The `gatehouseJob` row whose lease is held.
    let leaseID: String
    let leases: JobLeases
    /// The `gatehouseScheduledJob` row this run does (nil: a periodic run).
    let scheduledID: String?
    let scheduled: ScheduledJobs

    func perform() async {
        let started = DispatchTime.now().uptimeNanoseconds
        let renewal = Task { await keepLease() }
        let outcome = await callPlugin()
        renewal.cancel()
        guard let ok = outcome else {
            try? await leases.release(leaseID)
            return
        }
        Counter(label: "gatehouse_plugin_job_runs_total",
                dimensions: [("plugin", job.plugin.id), ("job", job.entry.name), ("result", ok ? "ok" : "failed")]).increment()
        let logger = job.plugin.host.logger
        logger.debug("job ran", metadata: [
            "job": "\(job.entry.name)", "result": "\(ok ? "ok" : "failed")",
            "duration_ms": "\((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)",
        ])
        do {
            if let scheduledID { try await scheduled.remove(scheduledID) }
            try await leases.release(leaseID)
        } catch {
            // The lease then expires by itself; a scheduled row left behind runs again.
            logger.error("job bookkeeping failed", metadata: ["job": "\(job.entry.name)", "error": "\(error)"])
        }
    }

    /// Whether the callback succeeded: GH_OK with a JSON answer that is not `{"error": …}`; nil
    /// when it never reached the plugin.
    private func callPlugin() async -> Bool? {
        let logger = job.plugin.host.logger
        do {
            let answer = try await job.plugin.runJob(job.index, envelope: envelope)
            guard let error = answer["error"]?.nonNull else { return true }
            logger.error("plugin job failed", metadata: ["job": "\(job.entry.name)", "error": "\(error.serialized())"])
        } catch is PluginRetired {
            return nil
        } catch {
            logger.error("plugin job failed", metadata: ["job": "\(job.entry.name)", "error": "\(error)"])
        }
        return false
    }

    /// Renews the lease until cancelled; stops when another instance has taken it over.
    private func keepLease() async {
        while (try? await Task.sleep(for: JobLeases.renewalInterval)) != nil {
            do {
                guard try await leases.renew(leaseID) else {
                    job.plugin.host.logger.warning("job lease lost to another instance", metadata: ["job": "\(job.entry.name)"])
                    return
                }
            } catch {
                job.plugin.host.logger.warning("job lease renewal failed", metadata: ["job": "\(job.entry.name)", "error": "\(error)"])
            }
        }
    }
}
