/// A failed delivery; the message never contains passwords or tokens.
public struct EmailDeliveryError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, such as libcurl's error text or the HTTP status.
    public let message: String

    /// Creates an error with the given description.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
