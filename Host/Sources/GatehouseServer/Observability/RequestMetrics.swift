import Dispatch
import Metrics

/// Request counts and latency by route and status, in Prometheus form at `/metrics`.
enum RequestMetrics {
    static func record(route: String, status: Int, startedAt: UInt64) {
        Counter(label: "gatehouse_http_requests_total", dimensions: [("route", route), ("status", String(status))]).increment()
        Timer(label: "gatehouse_http_request_duration_seconds", dimensions: [("route", route)])
            .recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - startedAt))
    }
}
