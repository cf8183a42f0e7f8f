import GatehouseJSON
import PluginKit
import Testing

/// How a plugin answers a failed host operation (`PluginError.answered`).
struct PluginErrorTests {
    private func hostFailure(_ detail: JSONValue) -> PluginError {
        var failure = PluginError(status: detail["status"]?.intValue ?? 500, code: detail["code"]?.stringValue ?? "HOST_ERROR",
                                  message: detail["message"]?.stringValue ?? "")
        failure.detail = detail
        return failure
    }

    /// API fuzzing (issue 23): a NUL byte PostgreSQL cannot store is the request's fault, answered
    /// 400 as the core answers it, not the plugin's fallback 500.
    @Test func aValueTheDatabaseRefusesKeepsTheHostsClientError() {
        let answer = hostFailure(["code": "VALIDATION_ERROR", "message": "A value in the request cannot be stored", "status": 400]).answered()
        #expect(answer.status == 400 && answer.code == "VALIDATION_ERROR")
    }

    @Test func otherFailuresGetTheFallbackOr503() {
        #expect(hostFailure(["code": "HOST_ERROR", "message": "SQLSTATE 42P01"]).answered().status == 500)
        #expect(hostFailure(["code": "DATABASE_UNAVAILABLE", "message": "down"]).answered().status == 503)
        #expect(hostFailure(["code": "TEAPOT", "message": "x", "status": 518]).answered().status == 500)
    }
}
