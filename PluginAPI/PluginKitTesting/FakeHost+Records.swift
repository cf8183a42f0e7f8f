import Foundation
import GatehouseJSON

extension FakeHost {
    /// A signed-in session in the fake database, to make requests with.
    public struct Session: Sendable, Equatable {
        public let token: String
        public let userID: String
    }

    /// One `host->log` line.
    public struct LogLine: Sendable, Equatable {
        public enum Level: Sendable, Equatable { case debug, info, warning, error }

        public let level: Level
        public let message: String

        public init(level: Level, message: String) {
            self.level = level
            self.message = message
        }
    }

    /// One `events.emit`.
    public struct EmittedEvent: Sendable, Equatable {
        public let name: String
        public let payload: JSONValue

        public init(name: String, payload: JSONValue) {
            self.name = name
            self.payload = payload
        }
    }

    /// One `email.send`.
    public struct SentEmail: Sendable, Equatable {
        public let kind: String
        public let to: String
        public let url: String?
        public let token: String?
        public let context: JSONValue
    }

    /// One `jobs.schedule`: the run of the manifest's job `name` it asked for.
    public struct ScheduledJob: Sendable, Equatable {
        public let id: String
        public let name: String
        public let runAt: Date
        public let payload: JSONValue
        public let scheduledAt: Date
    }

    /// One `services.call`.
    public struct ServiceCall: Sendable, Equatable {
        public let plugin: String
        public let service: String
        public let request: JSONValue
    }

    /// One `http.fetch`, as the plugin asked for it.
    public struct FetchRequest: Sendable, Equatable {
        public let method: String
        public let url: String
        /// Names as the plugin wrote them.
        public let headers: [String: String]
        public let body: String?
    }

    /// One `http.dispatch` call: the request it would send and the job its outcome goes to.
    public struct DispatchedRequest: Sendable, Equatable {
        public let id: String
        public let method: String
        public let url: String
        /// Names as the plugin wrote them.
        public let headers: [String: String]
        public let body: String?
        public let job: String
        public let context: JSONValue
        public let allowPrivateNetworks: Bool
    }

    /// What `fetch` answers an `http.fetch` with.
    public struct FetchResponse: Sendable, Equatable {
        public var status: Int
        public var headers: [String: String]
        public var body: String

        public init(status: Int = 200, headers: [String: String] = [:], body: String = "") {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// A JSON answer with `content-type: application/json`.
        public static func json(_ value: JSONValue, status: Int = 200) -> FetchResponse {
            FetchResponse(status: status, headers: ["content-type": "application/json"], body: value.serialized())
        }
    }
}
