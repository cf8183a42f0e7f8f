/// A template that could not be read, parsed or found, named by its file.
public struct EmailTemplateError: Error, Sendable, CustomStringConvertible {
    /// The template file, such as `reset-password.html.mustache`, or the directory.
    public let file: String
    /// What is wrong with it.
    public let reason: String

    /// Creates an error about `file`.
    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "email template \(file): \(reason)" }
}
