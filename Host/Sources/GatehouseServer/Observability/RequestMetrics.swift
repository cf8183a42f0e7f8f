import Dispatch
import Metrics
import NIOConcurrencyHelpers

/// Request counts and latency by route and status, in Prometheus form at `/metrics`.
/// Metric handles are created once per route and status, not per request.
enum RequestMetrics {
    private static let counters = NIOLockedValueBox([String: Counter]())
    private static let timers = NIOLockedValueBox([String: Timer]())

    static func record(route: String, status: Int, startedAt: UInt64) {
        let key = route + " " + String(status)
        let counter = counters.withLockedValue { cache in
            if let existing = cache[key] { return existing }
            let made = Counter(label: "gatehouse_http_requests_total", dimensions: [("route", route), ("status", String(status))])
            cache[key] = made
            return made
        }
        counter.increment()
        let timer = timers.withLockedValue { cache in
            if let existing = cache[route] { return existing }
            let made = Timer(label: "gatehouse_http_request_duration_seconds", dimensions: [("route", route)])
            cache[route] = made
            return made
        }
        timer.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - startedAt))
    }
}
