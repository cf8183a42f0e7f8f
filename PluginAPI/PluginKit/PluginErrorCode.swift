import GatehouseJSON

/// A plugin's error codes as an enum, Better Auth's `$ERROR_CODES` style: the raw value is the
/// code, each case has a message and an HTTP status.
public protocol PluginErrorCode: RawRepresentable, CaseIterable where RawValue == String {
    var message: String { get }
    var status: Int { get }
}

extension PluginErrorCode {
    /// The error as the client sees it: `{code, message}` at `status`.
    public var failure: PluginError { PluginError(status: status, code: rawValue, message: message) }

    /// The error with a reason appended to the message, so a developer sees which check failed.
    public func failure(_ reason: String) -> PluginError { PluginError(status: status, code: rawValue, message: "\(message): \(reason)") }

    /// The error with a message of its own.
    public func failure(message: String) -> PluginError { PluginError(status: status, code: rawValue, message: message) }

    /// Every code with its message: the manifest's `errorCodes`.
    public static var manifestEntries: JSONValue {
        .object(.init(uniqueKeysWithValues: allCases.map { ($0.rawValue, .string($0.message)) }))
    }
}
