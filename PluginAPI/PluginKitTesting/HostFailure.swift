import GatehouseJSON
import GatehousePluginABI

/// A host operation's failure: the status `call` returns and the `{code, message}` it fills in
/// `out_error`, with the codes of docs/plugin-abi.md §11.
struct HostFailure: Error {
    let status: gh_status
    let code: String
    let message: String
    /// More members for the error JSON (a service refusal's `status`).
    var extra: [(String, JSONValue)] = []

    static func invalid(_ code: String, _ message: String) -> HostFailure { HostFailure(status: GH_INVALID, code: code, message: message) }

    /// What a database refuses (missing required field, unique or foreign key) and other errors.
    static func hostError(_ message: String) -> HostFailure { HostFailure(status: GH_ERROR, code: "HOST_ERROR", message: message) }

    /// A write that would duplicate a unique value: `GH_INVALID` `UNIQUE_VIOLATION` for plugins
    /// built for 1.6 on (`forABIMinor` turns it into `HOST_ERROR` for older ones).
    static func uniqueViolation(_ message: String) -> HostFailure { HostFailure(status: GH_INVALID, code: "UNIQUE_VIOLATION", message: message) }

    /// The failure a plugin built for `abiMinor` is answered.
    func forABIMinor(_ abiMinor: Int) -> HostFailure {
        code == "UNIQUE_VIOLATION" && abiMinor < 6 ? .hostError(message) : self
    }

    var json: JSONValue {
        .object(.init(uniqueKeysWithValues: [("code", .string(code)), ("message", .string(message))] + extra))
    }

    /// `"key"`'s non-empty string, else `MISSING_FIELD`.
    static func required(_ input: JSONValue, _ key: String) throws -> String {
        guard let value = input[key]?.stringValue, !value.isEmpty else { throw invalid("MISSING_FIELD", "\"\(key)\" is required") }
        return value
    }
}
