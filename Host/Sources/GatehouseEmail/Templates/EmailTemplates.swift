import Foundation
import Mustache

/// The subject, text and HTML templates of every kind of email: built-in defaults, each overridable by a file.
public struct EmailTemplates: Sendable {
    private let templates: [String: MustacheTemplate]

    /// Loads the defaults, then every `<kind>.<subject|text|html>.mustache` file in `directory`, if given.
    ///
    /// Throws ``EmailTemplateError`` naming the file when one cannot be read or parsed.
    public init(directory: String?) throws {
        var templates: [String: MustacheTemplate] = [:]
        for (kind, defaults) in DefaultTemplates.all {
            for part in TemplatePart.allCases {
                let file = part.fileName(kind: kind)
                templates[file] = try Self.compile(defaults.source(part), part: part, file: "built-in \(file)")
            }
        }
        if let directory {
            for (file, part, source) in try Self.overrides(in: directory) {
                templates[file] = try Self.compile(source, part: part, file: file)
            }
        }
        self.templates = templates
    }

    /// Renders the three parts of `kind` with `context`; a missing value renders as nothing.
    public func render(kind: String, context: [String: String]) throws -> (subject: String, text: String, html: String) {
        func render(_ part: TemplatePart) throws -> String {
            let file = part.fileName(kind: kind)
            guard let template = templates[file] else {
                throw EmailTemplateError(file: file, reason: "no such template")
            }
            return template.render(context)
        }
        return try (render(.subject).singleLine, render(.text), render(.html))
    }

    /// The template files in `directory`: name, part and contents, in name order.
    private static func overrides(in directory: String) throws -> [(String, TemplatePart, String)] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw EmailTemplateError(file: directory, reason: "cannot list the directory")
        }
        return try names.filter { $0.hasSuffix(".mustache") }.sorted().map { name in
            let stem = name.dropLast(".mustache".count)
            guard let dot = stem.lastIndex(of: "."), dot != stem.startIndex,
                  let part = TemplatePart(rawValue: String(stem[stem.index(after: dot)...])) else {
                throw EmailTemplateError(file: name, reason: "name must be <kind>.subject.mustache, <kind>.text.mustache or <kind>.html.mustache")
            }
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path), let source = String(data: data, encoding: .utf8) else {
                throw EmailTemplateError(file: name, reason: "cannot be read as UTF-8")
            }
            return (name, part, source)
        }
    }

    /// Prepended to subject and text templates so that `{{name}}` does not HTML-escape there.
    private static let plainTextPragma = "{{% CONTENT_TYPE: TEXT}}"

    /// Parses `source`, reporting parse errors by line and column of the file.
    private static func compile(_ source: String, part: TemplatePart, file: String) throws -> MustacheTemplate {
        let prefix = part.escapesHTML ? "" : plainTextPragma
        do {
            return try MustacheTemplate(string: prefix + source)
        } catch let error as MustacheTemplate.ParserError {
            let line = error.context.lineNumber
            let column = error.context.columnNumber - (line == 1 ? prefix.count : 0)
            throw EmailTemplateError(file: file, reason: "\(error.error) at line \(line), column \(column)")
        } catch {
            throw EmailTemplateError(file: file, reason: "\(error)")
        }
    }
}
