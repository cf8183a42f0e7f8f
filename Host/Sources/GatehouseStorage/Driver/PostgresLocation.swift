import Foundation

/// A PostgreSQL server and database from `postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=…]`.
/// User and password may be percent-encoded. `sslmode` follows libpq: `disable`, `prefer` (the
/// default: TLS when the server offers it, certificate unchecked), `require` (TLS, certificate
/// unchecked) and `verify-full` (TLS with a verified certificate and host name).
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, prefer, require, verifyFull = "verify-full" }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public init(_ text: String) throws(DatabaseLocationError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw DatabaseLocationError("not a postgres:// URL")
        }
        guard let host = url.host, !host.isEmpty else { throw DatabaseLocationError("the postgres:// URL has no host") }
        guard let user = url.user, !user.isEmpty else { throw DatabaseLocationError("the postgres:// URL has no user") }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.user = user
        password = url.password
        port = url.port ?? 5432
        guard (1...65535).contains(port) else { throw DatabaseLocationError("the port is out of range") }
        let name = String(url.path.drop { $0 == "/" })
        guard !name.contains("/") else { throw DatabaseLocationError("the database name may not contain '/'") }
        database = name.isEmpty ? user : name
        tls = .prefer
        for item in url.queryItems ?? [] {
            guard item.name == "sslmode" else { throw DatabaseLocationError("unknown parameter \"\(item.name)\" (only sslmode)") }
            guard let mode = TLSMode(rawValue: item.value ?? "") else {
                throw DatabaseLocationError("sslmode must be disable, prefer, require or verify-full")
            }
            tls = mode
        }
    }

    /// `host:port`, for messages (never the password).
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public var description: String { "postgres://\(user)@\(address)/\(database)" }
}
