/// Turns a password into a storable hash and checks a password against one.
public protocol PasswordHasher: Sendable {
    func hash(_ password: String) throws -> String
    /// Whether this hasher produced `hash` (so verification can be routed to it).
    func recognizes(_ hash: String) -> Bool
    func verify(_ password: String, against hash: String) throws -> Bool
}

public enum PasswordHashError: Error, Sendable, Equatable {
    case malformedHash
    case unsupported(String)
}

/// Hashes new passwords with the configured algorithm and verifies any known format,
/// so switching to argon2id keeps existing scrypt hashes working.
public struct PasswordHashing: Sendable {
    public let primary: any PasswordHasher
    private let all: [any PasswordHasher]

    public init(primary: any PasswordHasher, others: [any PasswordHasher]) {
        self.primary = primary
        all = [primary] + others
    }

    public func hash(_ password: String) throws -> String { try primary.hash(password) }

    public func verify(_ password: String, against hash: String) throws -> Bool {
        guard let hasher = all.first(where: { $0.recognizes(hash) }) else { throw PasswordHashError.malformedHash }
        return try hasher.verify(password, against: hash)
    }
}
