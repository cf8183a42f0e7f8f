import GatehouseJSON
@testable import NotesPlugin
import PluginKitTesting
import Testing

/// The plugin on PluginKitTesting's fake host: its routes, its table and its event, no server.
struct NotesPluginTests {
    let host: FakeHost
    let ada: FakeHost.Session

    init() throws {
        host = try FakeHost(plugin: NotesPlugin.self, settings: ["maxLength": 20])
        ada = try host.signIn(try host.createUser(email: "ada@example.com", name: "Ada"))
    }

    @Test func addsAndListsTheCallersNotesNewestFirst() throws {
        #expect(try host.request("POST", "/notes", body: ["text": "first"], session: ada).status == 200)
        host.advanceClock(by: 1)  // the fake clock dates the rows
        let second = try host.request("POST", "/notes", body: ["text": "second"], session: ada)
        #expect(second.body["userId"] == .string(ada.userID))
        let bob = try host.signIn(try host.createUser(email: "bob@example.com"))
        _ = try host.request("POST", "/notes", body: ["text": "bob's"], session: bob)

        let listed = try host.request("GET", "/notes", session: ada)
        #expect(listed.body["notes"]?.arrayValue?.map { $0["text"] } == ["second", "first"])
        #expect(host.rows("note").count == 3)
        #expect(host.emittedEvents.map(\.name) == ["notes.created", "notes.created", "notes.created"])
        #expect(host.emittedEvents.first?.payload["userId"] == .string(ada.userID))
    }

    @Test func refusesEmptyAndLongNotes() throws {
        #expect(try host.request("POST", "/notes", body: ["text": ""], session: ada).code == "NOTE_IS_EMPTY")
        let long = try host.request("POST", "/notes", body: ["text": "twenty-one characters"], session: ada)
        #expect(long.status == 400)
        #expect(long.code == "NOTE_IS_TOO_LONG")
        #expect(host.rows("note").isEmpty)
    }

    @Test func needsASession() throws {
        #expect(try host.request("GET", "/notes").status == 401)
    }

    @Test func aBadSettingRefusesToLoad() {
        #expect(throws: FakeHostError.self) { try FakeHost(plugin: NotesPlugin.self, settings: ["maxLength": 0]) }
    }
}
