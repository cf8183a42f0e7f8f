import Foundation
import GatehouseJSON
import GatehouseStorage
@testable import GatehouseServer
import Logging
import NIOConcurrencyHelpers
import Testing

/// Host events (ABI 1.2): the request's client in every payload, sync deliveries made before the
/// request's scope ends, transaction events published on commit and dropped on rollback, and
/// only plugins built for 1.2 reached.
struct HostEventsTests {
    struct Rollback: Error {}

    let received = NIOLockedValueBox<[JSONValue]>([])
    let plugins = PluginEvents(logger: Logger(label: "host-events-test"))
    let host: HostEvents

    init() throws {
        var schema = Schema()
        try schema.merge(SchemaExtension(tables: [TableSchema(name: "user", fields: [Field("name", .string)])]), from: "core")
        host = HostEvents(plugins: plugins, schema: schema)
    }

    private func subscribe(sync: Bool, speaksHostEvents: Bool = true) {
        let entry = PluginManifest.EventEntry(style: .init(.object([:])), pattern: "*", sync: sync)
        plugins.subscribe(.init(pluginID: "recorder", entries: [entry], speaksHostEvents: speaksHostEvents, deliver: { [received] _, envelope in
            received.withLockedValue { $0.append(envelope) }
        }, deliverHere: { [received] _, envelope in
            received.withLockedValue { $0.append(envelope) }
            return true
        }))
    }

    private var userIDs: [String] {
        received.withLockedValue { $0 }.compactMap { $0["payload"]?["user"]?["id"]?.stringValue }
    }

    @Test func syncDeliveriesAreMadeBeforeTheRequestEnds() async {
        subscribe(sync: true)
        let scope = EventScope(ipAddress: "203.0.113.7", userAgent: "agent/1")
        let heldDuringRequest = await scope.serving { () -> Int in
            host.emit(.userCreated, user: ["id": .string("u1"), "name": .string("Ada")])
            return received.withLockedValue { $0.count }
        }
        #expect(heldDuringRequest == 0)
        let envelope = received.withLockedValue { $0 }
        #expect(envelope == [["name": "user.created",
                              "payload": ["user": ["id": "u1", "name": "Ada"], "ipAddress": "203.0.113.7", "userAgent": "agent/1"],
                              "source": "core"]])
    }

    @Test func transactionEventsArePublishedOnCommitOnly() async {
        subscribe(sync: true)
        await EventScope(ipAddress: nil, userAgent: nil).serving {
            _ = try? await HostEvents.holding {
                host.emit(.userDeleted, user: ["id": .string("rolled-back")])
                throw Rollback()
            }
            _ = try? await HostEvents.holding {
                host.emit(.userDeleted, user: ["id": .string("committed")])
            }
        }
        #expect(userIDs == ["committed"])
        #expect(received.withLockedValue { $0.first?["payload"]?["ipAddress"] } == .null)
    }

    @Test func eventsOutsideARequestAreStillDelivered() async throws {
        subscribe(sync: true)
        host.signInFailed(email: "ada@example.com", userID: nil, reason: "INVALID_EMAIL_OR_PASSWORD")
        for _ in 0..<100 where received.withLockedValue({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(received.withLockedValue { $0.first?["payload"]?["userId"] } == .null)
    }

    @Test func pluginsBuiltBeforeABI12GetPluginEventsOnly() {
        subscribe(sync: false, speaksHostEvents: false)
        #expect(plugins.publish("user.created", payload: [:], source: HostEvents.source) == 0)
        #expect(plugins.publish("audit.logged", payload: [:], source: "audit") == 1)
    }
}
