import Foundation
import GatehouseJSON
import GatehouseStorage
import ServiceLifecycle

/// Runs plugins' background jobs (ABI 1.2) for the server's lifetime. Twice a second it looks at
/// the current generation's jobs: a periodic job that is due and scheduled work (`jobs.schedule`)
/// whose time has come start on a plugin worker once this process holds the job's database lease
/// (`JobLeases`), so a job never runs twice at once, here or on another instance on the database.
/// Each run uses the current generation's plugin and counts as in flight on that generation, so
/// a reload does not retire the instance under it. On shutdown no run starts any more, and those
/// already running may finish (up to 30 s).
struct JobScheduler: Service {
    static let tickInterval: Duration = .milliseconds(500)
    /// Runs at once in this process: each holds a plugin worker, and requests need the rest.
    static let maxRunning = max(1, GatehouseRuntime.pluginWorkerCount / 2)

    let runtime: GatehouseRuntime
    private let running = RunningJobs()
    /// This process in `leaseHolder`: host name, pid and a random part (a restarted process is
    /// another holder).
    private let holder: String = {
        var name = [UInt8](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let host = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
        return "\(host):\(getpid()):\(UUID().uuidString.prefix(8).lowercased())"
    }()

    init(runtime: GatehouseRuntime) {
        self.runtime = runtime
    }

    /// Ticks until shutdown; the loop ends between ticks, never inside one, so a lease it
    /// claimed always gets its run.
    func run() async {
        var failing = false
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await tick()
                if failing { runtime.logger.notice("job scheduler reaches the database again") }
                failing = false
            } catch {
                // One line per outage, not one per tick.
                if !failing { runtime.logger.error("job scheduler cannot use the database", metadata: ["error": "\(error)"]) }
                failing = true
            }
            try? await Task.sleep(for: Self.tickInterval)
        }
        await running.drain(limit: .seconds(30))
    }

    private func tick() async throws {
        let generation = pinnedGeneration()
        defer { generation.inFlight.leave() }
        let jobs = generation.jobs
        guard !jobs.isEmpty else { return }
        let auth = generation.auth
        let leases = JobLeases(database: auth.database, adapter: auth.store.adapter, holder: holder)
        let scheduled = ScheduledJobs(adapter: auth.store.adapter)
        let plugins = Array(Set(jobs.map(\.plugin.id)))
        let rows = Dictionary(try await leases.rows(of: plugins).map { (Self.key(of: $0), $0) }, uniquingKeysWith: { first, _ in first })
        for job in jobs where rows[job.key] == nil {
            try await leases.ensure(plugin: job.plugin.id, name: job.entry.name, periodic: job.entry.everySeconds != nil)
        }
        let now = Date()
        for job in jobs {
            // A free lease, as read at the start of this tick; claiming it decides.
            guard running.count < Self.maxRunning, !running.contains(job.key), let row = rows[job.key], JobLeases.isFree(row, at: now)
            else { continue }
            // One job's database trouble does not hold up the others.
            do {
                try await startDue(job, lease: row, at: now, leases: leases, scheduled: scheduled, in: generation)
            } catch {
                runtime.logger.error("job scheduling failed", metadata: ["plugin": "\(job.plugin.id)", "job": "\(job.entry.name)", "error": "\(error)"])
            }
        }
    }

    /// Starts `job` if a periodic run is due, else its oldest scheduled work that is due.
    private func startDue(_ job: DeclaredJob, lease row: Record, at now: Date, leases: JobLeases, scheduled: ScheduledJobs,
                          in generation: PluginGeneration) async throws {
        if let every = job.entry.everySeconds {
            guard let next = row.date("nextRunAt"), next <= now.addingTimeInterval(TimeInterval(every)) else {
                try await leases.realign(row, every: every)
                return
            }
            if next <= now {
                guard try await leases.claim(row.id, every: every) else { return }
                start(JobRun(job: job, envelope: ["name": .string(job.entry.name)], leaseID: row.id, leases: leases,
                             scheduledID: nil, scheduled: scheduled), in: generation)
                return
            }
        }
        guard let item = try await scheduled.due(plugin: job.plugin.id, name: job.entry.name, at: now),
              try await leases.claim(row.id) else { return }
        // Another instance may have run it between the listing and the claim.
        guard let current = try await scheduled.find(item.id) else {
            try await leases.release(row.id)
            return
        }
        start(JobRun(job: job, envelope: ScheduledJobs.envelope(current), leaseID: row.id, leases: leases,
                     scheduledID: current.id, scheduled: scheduled), in: generation)
    }

    /// Starts `run` in a task of its own (the loop goes on meanwhile), counted in flight on
    /// `generation`.
    private func start(_ run: JobRun, in generation: PluginGeneration) {
        running.begin(run.job.key)
        generation.inFlight.enter()
        Task {
            await run.perform()
            generation.inFlight.leave()
            running.end(run.job.key)
        }
    }

    /// The current generation, counted in flight as a request is: once counted and still
    /// current, a reload waits for it before retiring its plugins.
    private func pinnedGeneration() -> PluginGeneration {
        while true {
            let generation = runtime.generation
            generation.inFlight.enter()
            if runtime.generation.number == generation.number { return generation }
            generation.inFlight.leave()
        }
    }

    private static func key(of row: Record) -> String {
        JobKey.of(plugin: row.string("plugin") ?? "", name: row.string("name") ?? "")
    }
}
