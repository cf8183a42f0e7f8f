/// The three templates each kind of email has.
enum TemplatePart: String, Sendable, CaseIterable {
    case subject
    case text
    case html

    /// The template's file name for `kind`, such as `reset-password.html.mustache`.
    func fileName(kind: String) -> String {
        "\(kind).\(rawValue).mustache"
    }

    /// Whether rendered values are HTML-escaped; subject and text are plain text.
    var escapesHTML: Bool { self == .html }
}
