import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// PostgreSQL through postgres-nio's connection pool, at most `poolSize` connections.
///
/// Outages: a lost connection marks the server down. While it is down every query fails at
/// once with `DatabaseUnavailable` (the API answers a JSON 503) and a probe tries a fresh
/// connection every second; when one succeeds the pool is replaced by a new one (no back-off
/// left over from the outage) and queries go through again. A query that waits longer than
/// `queryTimeout` for a free connection and its answer is also `DatabaseUnavailable`.
public final class PostgresDatabase: Database, ChangeFeed {
    public let dialect = SQLDialect.postgres
    public let location: PostgresLocation
    private let poolSize: Int
    private let logger: Logger
    private let listener: PostgresListener
    private let state: NIOLockedValueBox<State>
    static let queryTimeout: Duration = .seconds(15)

    private struct State {
        var client: PostgresClient
        var runner: Task<Void, Never>
        var down = false
        var probe: Task<Void, Never>?
        var closed = false
    }

    /// Connects once to check the login and the database, then starts the pool. Throws
    /// `PostgresOpenError` with one clear line when the server cannot be used.
    public static func open(_ location: PostgresLocation, poolSize: Int, logger: Logger) async throws -> PostgresDatabase {
        try await checkConnection(location, logger: logger)
        return PostgresDatabase(location: location, poolSize: poolSize, logger: logger)
    }

    private init(location: PostgresLocation, poolSize: Int, logger: Logger) {
        self.location = location
        self.poolSize = poolSize
        self.logger = logger
        listener = PostgresListener(location: location, logger: logger)
        let client = Self.makeClient(location, poolSize: poolSize, logger: logger)
        state = NIOLockedValueBox(State(client: client, runner: Task { await client.run() }))
        logger.debug("opened PostgreSQL database", metadata: ["database": "\(location)"])
    }

    public func query(_ sql: String, _ binds: [DBValue]) async throws -> [SQLRow] {
        let client = try available()
        let query = PostgresQuery(unsafeSQL: sql, binds: PostgresValues.bindings(binds))
        let logger = self.logger
        return try await guarded {
            try await bounded { try await PostgresValues.rows(try await client.query(query, logger: logger)) }
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let client = try available()
        let logger = self.logger
        return try await withoutActuallyEscaping(body) { body in
            try await guarded {
                try await bounded {
                    try await client.withTransaction(logger: logger) { connection in
                        try await body(PostgresConnectionExecutor(connection: connection, logger: logger))
                    }
                }
            }
        }
    }

    /// `work`, or `DatabaseUnavailable` once it has taken `queryTimeout` (all connections busy),
    /// or `ServerUnreachable` as soon as, two seconds in, the server's port does not accept a
    /// TCP connection: a stopped server is answered within a few seconds, a busy pool is waited for.
    private func bounded<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let location = self.location
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: .seconds(2))
                guard await Self.acceptsConnections(location) else { throw ServerUnreachable() }
                try await Task.sleep(for: Self.queryTimeout - .seconds(2))
                throw DatabaseUnavailable("no free database connection within \(Self.queryTimeout)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }

    /// Whether the server's port accepts a TCP connection within two seconds (no PostgreSQL
    /// session is opened, so the probe never counts against the server's connections).
    private static func acceptsConnections(_ location: PostgresLocation) async -> Bool {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.seconds(2))
        guard let channel = try? await bootstrap.connect(host: location.host, port: location.port).get() else { return false }
        try? await channel.close()
        return true
    }

    public func isReachable() async -> Bool {
        (try? await query("SELECT 1", [])) != nil
    }

    /// Several instances share a PostgreSQL database: they hear each other's changes here.
    public var changeFeed: (any ChangeFeed)? { self }

    public func publish(_ message: String) async {
        _ = try? await query("SELECT pg_notify($1, $2)", [.string(PostgresListener.channel), .string(message)])
    }

    public func subscribe(_ handler: @escaping @Sendable (ChangeFeedEvent) -> Void) {
        listener.subscribe(handler)
    }

    public func close() async throws {
        let (runner, probe) = state.withLockedValue { state -> (Task<Void, Never>, Task<Void, Never>?) in
            state.closed = true
            return (state.runner, state.probe)
        }
        probe?.cancel()
        await listener.stop()
        runner.cancel()
        await runner.value
    }

    /// The current pool, or `DatabaseUnavailable` at once while the server is down.
    private func available() throws -> PostgresClient {
        try state.withLockedValue { state in
            guard !state.down, !state.closed else { throw DatabaseUnavailable("PostgreSQL at \(location.address) is not reachable") }
            return state.client
        }
    }

    /// Runs `work`; a connection failure marks the server down and becomes `DatabaseUnavailable`.
    private func guarded<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let error as PSQLError where PostgresErrors.isConnectionLoss(error) {
            markDown(because: PostgresErrors.describe(error))
            throw DatabaseUnavailable("PostgreSQL at \(location.address) is not reachable")
        } catch is ServerUnreachable {
            markDown(because: "its port does not accept connections")
            throw DatabaseUnavailable("PostgreSQL at \(location.address) is not reachable")
        } catch let error as DatabaseUnavailable {
            throw error
        } catch let error as PSQLError where PostgresErrors.isTransient(error) {
            throw DatabaseUnavailable(PostgresErrors.describe(error))
        } catch let error as PSQLError where PostgresErrors.isRejectedValue(error) {
            throw DatabaseRejectedValue(PostgresErrors.describe(error))
        }
    }

    private func markDown(because reason: String) {
        let start = state.withLockedValue { state -> Bool in
            guard !state.down, !state.closed else { return false }
            state.down = true
            return true
        }
        guard start else { return }
        logger.error("lost the database; answering 503 until it is back", metadata: ["database": "\(location.address)", "reason": "\(reason)"])
        let probe = Task { await self.probeUntilBack() }
        state.withLockedValue { $0.probe = probe }
    }

    /// Tries a fresh connection every second; on success installs a new pool.
    private func probeUntilBack() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard (try? await Self.checkConnection(location, logger: logger, timeout: .seconds(3))) != nil else { continue }
            let client = Self.makeClient(location, poolSize: poolSize, logger: logger)
            let runner = Task { await client.run() }
            let old = state.withLockedValue { state -> Task<Void, Never>? in
                guard !state.closed else { return nil }
                defer {
                    state.client = client
                    state.runner = runner
                    state.down = false
                    state.probe = nil
                }
                return state.runner
            }
            guard let old else { runner.cancel(); return }
            old.cancel()
            logger.notice("the database is back", metadata: ["database": "\(location.address)"])
            return
        }
    }

    /// libpq's sslmode: `prefer` and `require` do not check the certificate, `verify-full` does.
    private static func tlsConfiguration(_ location: PostgresLocation) -> TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch location.tls {
        case .disable: return nil
        case .prefer, .require: configuration.certificateVerification = .none
        case .verifyFull: break
        }
        return configuration
    }

    private static func makeClient(_ location: PostgresLocation, poolSize: Int, logger: Logger) -> PostgresClient {
        let tls: PostgresClient.Configuration.TLS = switch (location.tls, tlsConfiguration(location)) {
        case (.prefer, let tls?): .prefer(tls)
        case (_, let tls?): .require(tls)
        case (_, nil): .disable
        }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = poolSize
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(15))
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// Opens one connection (the pool's own connections are opened on demand), for the start-up
    /// check, the outage probe and the notification listener. Failures are `PostgresOpenError`.
    static func connect(_ location: PostgresLocation, logger: Logger, timeout: Duration = .seconds(10)) async throws -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = switch (location.tls, tlsConfiguration(location)) {
            case (.prefer, let configuration?): .prefer(try NIOSSLContext(configuration: configuration))
            case (_, let configuration?): .require(try NIOSSLContext(configuration: configuration))
            case (_, nil): .disable
            }
        } catch {
            throw PostgresOpenError(location: location, error: nil)
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: tls)
        configuration.options.connectTimeout = .seconds(Int64(timeout.components.seconds))
        let settings = configuration
        do {
            return try await withTimeout(timeout) {
                try await PostgresConnection.connect(configuration: settings, id: 0, logger: logger)
            }
        } catch let error as PSQLError {
            throw PostgresOpenError(location: location, error: error)
        } catch {
            throw PostgresOpenError(location: location, error: nil)
        }
    }

    /// One connection and `SELECT 1`, then closed.
    static func checkConnection(_ location: PostgresLocation, logger: Logger, timeout: Duration = .seconds(10)) async throws {
        let connection = try await connect(location, logger: logger, timeout: timeout)
        do {
            _ = try await PostgresValues.rows(try await connection.query("SELECT 1", logger: logger))
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw PostgresOpenError(location: location, error: error as? PSQLError)
        }
    }

    /// `work`, or `DatabaseUnavailable` when it takes longer than `limit`.
    static func withTimeout<T: Sendable>(_ limit: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw DatabaseUnavailable("no answer from the database within \(limit)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }
}

private struct ServerUnreachable: Error {}

/// Statements inside a transaction run on its leased connection.
private struct PostgresConnectionExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: SQLDialect { .postgres }

    func query(_ sql: String, _ binds: [DBValue]) async throws -> [SQLRow] {
        let query = PostgresQuery(unsafeSQL: sql, binds: PostgresValues.bindings(binds))
        return try await PostgresValues.rows(try await connection.query(query, logger: logger))
    }
}

/// Why `gatehouse serve` could not use the configured PostgreSQL server, in one line without
/// the password: the login was refused, the server could not be reached, or the database is missing.
public struct PostgresOpenError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(location: PostgresLocation, error: PSQLError?) {
        switch error.flatMap(PostgresErrors.sqlState) {
        case "28P01", "28000":
            description = "PostgreSQL at \(location.address) refused the login of user \"\(location.user)\": authentication failed"
        case "3D000":
            description = "PostgreSQL at \(location.address) has no database \"\(location.database)\""
        case let state?:
            description = "PostgreSQL at \(location.address) refused the connection (SQLSTATE \(state))"
        case nil:
            description = "cannot reach PostgreSQL at \(location.address)"
        }
    }
}
