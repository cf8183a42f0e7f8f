import Foundation
import GatehouseJSON
import Logging
import OrderedCollections

/// One JSON object per line on stdout: time, level, label, message and metadata.
/// Callers never put secrets, passwords or tokens into messages or metadata.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line: OrderedDictionary<String, JSONValue> = [
            "ts": .string(Self.timestamp()), "level": .string(event.level.rawValue), "label": .string(label),
            "msg": .string(event.message.description),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) {
            line[key] = .string(value.description)
        }
        let text = JSONValue.object(line).serialized() + "\n"
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    private static func timestamp() -> String {
        Date.now.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
