import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// PostgreSQL through postgres-nio's connection pool, at most `poolSize` connections.
///
/// Outages: a lost connection marks the server down, and so does a statement still unanswered
/// after two seconds whose server port refuses TCP. While it is down every query fails at once
/// with `DatabaseUnavailable` (the API answers a JSON 503) and a probe tries a fresh connection
/// every second; when one succeeds the pool is replaced by a new one (no back-off left over
/// from the outage) and queries go through again. Waiting longer than `leaseTimeout` for a free
/// connection is also `DatabaseUnavailable`; a statement that has its connection runs to its end.
public final class PostgresDatabase: Database, ChangeFeed {
    public let dialect = SQLDialect.postgres
    public let location: PostgresLocation
    private let poolSize: Int
    private let logger: Logger
    private let listener: PostgresListener
    private let state: NIOLockedValueBox<State>
    static let leaseTimeout: Duration = .seconds(15)

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
        // postgres-nio logs rows it receives at trace level: those hold tokens and hashes.
        var logger = logger
        logger.logLevel = max(logger.logLevel, .info)
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
        return try await guarded(client) { leased in
            try await client.withConnection { connection in
                leased()
                return try await PostgresValues.rows(try await connection.query(query, logger: logger))
            }
        }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        let client = try available()
        let logger = self.logger
        return try await guarded(client) { leased in
            do {
                return try await client.withTransaction(logger: logger) { connection in
                    leased()
                    return try await body(PostgresConnectionExecutor(connection: connection, logger: logger))
                }
            } catch let failure as PostgresTransactionError {
                // The failure itself (the body's, BEGIN's or COMMIT's), so it is sorted like any
                // other: a duplicate or a rejected value stays a 4xx, an APIError stays itself.
                throw failure.closureError ?? failure.beginError ?? failure.commitError ?? failure
            }
        }
    }

    /// Runs `work` on `client`, answering early when the database cannot answer: as soon as, two
    /// seconds in, the server's port refuses TCP (the server is marked down), or when no
    /// connection was leased within `leaseTimeout` (`work` calls `leased` once it has one; from
    /// then on it runs to its end, so a slow migration or a committing transaction is never cut
    /// off). Work still running when the caller is answered finishes, or fails, on its own.
    /// Connection failures mark the server down; every database failure the client should not
    /// see as a 500 becomes `DatabaseUnavailable` or `DatabaseRejectedValue`.
    private func guarded<T: Sendable>(
        _ client: PostgresClient, _ work: @escaping @Sendable (_ leased: @escaping @Sendable () -> Void) async throws -> T
    ) async throws -> T {
        let location = self.location
        let hasConnection = NIOLockedValueBox(false)
        let outcome: Result<T, any Error> = await withCheckedContinuation { continuation in
            let answered = NIOLockedValueBox(false)
            let answer: @Sendable (Result<T, any Error>) -> Void = { result in
                if answered.withLockedValue({ let first = !$0; $0 = true; return first }) { continuation.resume(returning: result) }
            }
            let worker = Task {
                do { answer(.success(try await work { hasConnection.withLockedValue { $0 = true } })) } catch { answer(.failure(error)) }
            }
            Task {
                try await Task.sleep(for: .seconds(2))
                guard !answered.withLockedValue({ $0 }) else { return }
                guard await Self.acceptsConnections(location) else {
                    worker.cancel()
                    return answer(.failure(ServerUnreachable()))
                }
                try await Task.sleep(for: Self.leaseTimeout - .seconds(2))
                guard !hasConnection.withLockedValue({ $0 }) else { return }
                worker.cancel()
                answer(.failure(DatabaseUnavailable("no free database connection within \(Self.leaseTimeout)")))
            }
        }
        do {
            return try outcome.get()
        } catch let error as PSQLError where PostgresErrors.isConnectionLoss(error) {
            markDown(client, because: PostgresErrors.describe(error))
            throw DatabaseUnavailable("PostgreSQL at \(location.address) is not reachable")
        } catch is ServerUnreachable {
            markDown(client, because: "its port does not accept connections")
            throw DatabaseUnavailable("PostgreSQL at \(location.address) is not reachable")
        } catch let error as PSQLError where PostgresErrors.isTransient(error) || error.code == .poolClosed {
            throw DatabaseUnavailable(PostgresErrors.describe(error))
        } catch let error as PSQLError where PostgresErrors.isRejectedValue(error) {
            throw DatabaseRejectedValue(PostgresErrors.describe(error))
        } catch let error as PSQLError where PostgresErrors.sqlState(error) == "23505" {
            throw DatabaseUniqueViolation(PostgresErrors.describe(error))
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

    /// Marks the server down, unless `client` is an earlier pool, replaced since (its queued
    /// work failing is not news about the server).
    private func markDown(_ client: PostgresClient, because reason: String) {
        let start = state.withLockedValue { state -> Bool in
            guard state.client === client, !state.down, !state.closed else { return false }
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

    /// libpq's sslmode: nil for `disable`; otherwise whether TLS is optional (`prefer`) and its
    /// configuration (`prefer` and `require` do not check the certificate, `verify-full` does).
    private static func tls(_ location: PostgresLocation) -> (optional: Bool, configuration: TLSConfiguration)? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch location.tls {
        case .disable: return nil
        case .prefer, .require: configuration.certificateVerification = .none
        case .verifyFull: break
        }
        return (location.tls == .prefer, configuration)
    }

    private static func makeClient(_ location: PostgresLocation, poolSize: Int, logger: Logger) -> PostgresClient {
        let mode: PostgresClient.Configuration.TLS = switch tls(location) {
        case let (true, configuration)?: .prefer(configuration)
        case let (false, configuration)?: .require(configuration)
        case nil: .disable
        }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: mode)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = poolSize
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(15))
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// Opens one connection (the pool's own connections are opened on demand), for the start-up
    /// check, the outage probe and the notification listener. Failures are `PostgresOpenError`.
    static func connect(_ location: PostgresLocation, logger: Logger, timeout: Duration = .seconds(10)) async throws -> PostgresConnection {
        let mode: PostgresConnection.Configuration.TLS
        do {
            mode = switch tls(location) {
            case let (true, configuration)?: .prefer(try NIOSSLContext(configuration: configuration))
            case let (false, configuration)?: .require(try NIOSSLContext(configuration: configuration))
            case nil: .disable
            }
        } catch {
            throw PostgresOpenError(location: location, error: nil)
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: mode)
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
