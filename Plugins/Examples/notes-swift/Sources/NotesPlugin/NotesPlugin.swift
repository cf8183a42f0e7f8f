import GatehouseJSON
import PluginKit

/// Notes a signed-in user keeps: `POST /notes {text}` adds one (and announces `notes.created` to
/// other plugins), `GET /notes` lists the caller's, newest first. They live in the plugin's own
/// table, `note`, which goes with its user (`onDelete: cascade`).
struct NotesPlugin: GatehousePlugin {
    static let id = "notes"
    static let version = "1.0.0"
    static let name = "Notes"
    static let manifest: JSONValue = [
        "endpoints": [
            ["method": "POST", "path": "/notes", "auth": "session", "summary": "Add a note", "envelope": ["session", "body"],
             "body": ["properties": [["name": "text", "type": "string", "required": true]]]],
            ["method": "GET", "path": "/notes", "auth": "session", "summary": "The caller's notes", "envelope": ["session"]],
        ],
        "schema": ["tables": [["name": "note", "fields": [
            ["name": "userId", "type": "string", "index": true, "references": ["model": "user", "field": "id", "onDelete": "cascade"]],
            ["name": "text", "type": "string"],
            ["name": "createdAt", "type": "date", "defaultValue": "now"],
        ]]]],
        "errorCodes": NoteError.manifestEntries,
    ]

    let host: PluginHost
    let db: PluginDatabase
    /// `plugins.notes.maxLength`: the longest note, in characters.
    let maxLength: Int

    init(host: PluginHost, settings: JSONValue) throws {
        self.host = host
        db = PluginDatabase(host: host)
        maxLength = settings["maxLength"]?.intValue ?? 500
        guard maxLength > 0 else { throw PluginError(code: "INVALID_SETTING", message: "plugins.notes.maxLength must be positive") }
    }

    func handle(_ call: PluginCall) throws -> PluginAnswer {
        guard let userID = call.session?["user"]?["id"]?.stringValue else { throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized") }
        switch call.kind {
        case .endpoint(0):
            guard let text = call.body["text"]?.stringValue, !text.isEmpty else { throw NoteError.empty.failure }
            guard text.count <= maxLength else { throw NoteError.tooLong.failure("at most \(maxLength) characters") }
            let note = try db.create("note", ["userId": .string(userID), "text": .string(text)])
            _ = try host.call("events.emit", ["name": "notes.created", "payload": ["noteId": note["id"] ?? .null, "userId": .string(userID)]])
            return .json(note)
        default:
            let rows = try host.call("db.findMany", ["table": "note", "where": [["field": "userId", "value": .string(userID)]],
                                                    "orderBy": ["field": "createdAt", "direction": "desc"]])["rows"]
            return .json(["notes": rows ?? []])
        }
    }
}

enum NoteError: String, PluginErrorCode {
    case empty = "NOTE_IS_EMPTY"
    case tooLong = "NOTE_IS_TOO_LONG"

    var message: String {
        switch self {
        case .empty: "A note needs some text"
        case .tooLong: "The note is too long"
        }
    }

    var status: Int { 400 }
}

@_cdecl("gatehouse_plugin_entry_v1")
public func gatehousePluginEntry() -> UnsafeRawPointer { PluginExport.descriptor(for: NotesPlugin.self) }
