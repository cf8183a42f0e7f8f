import Foundation

/// A user as the server answers it (Better Auth's `user` object; unknown fields are ignored).
public struct User: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var email: String
    public var name: String
    public var emailVerified: Bool
    public var image: String?
    /// Present when the two-factor plugin is loaded.
    public var twoFactorEnabled: Bool?

    public init(id: String, email: String, name: String, emailVerified: Bool, image: String? = nil, twoFactorEnabled: Bool? = nil) {
        self.id = id
        self.email = email
        self.name = name
        self.emailVerified = emailVerified
        self.image = image
        self.twoFactorEnabled = twoFactorEnabled
    }
}

/// A session row. `token` is the session's own token (what `revokeSession(token:)` takes).
public struct Session: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var token: String
    public var userId: String
    public var expiresAt: Date
    /// Set by the organization plugin's `setActiveOrganization`.
    public var activeOrganizationId: String?

    public init(id: String, token: String, userId: String, expiresAt: Date, activeOrganizationId: String? = nil) {
        self.id = id
        self.token = token
        self.userId = userId
        self.expiresAt = expiresAt
        self.activeOrganizationId = activeOrganizationId
    }
}

/// What `get-session` answers for a live session.
public struct SessionInfo: Codable, Sendable, Hashable {
    public var session: Session
    public var user: User

    public init(session: Session, user: User) {
        self.session = session
        self.user = user
    }
}

public struct Organization: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var name: String
    public var slug: String

    public init(id: String, name: String, slug: String) {
        self.id = id
        self.name = name
        self.slug = slug
    }
}

public struct Invitation: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var email: String
    public var role: String
    public var organizationId: String
    /// `pending`, `accepted`, `rejected` or `canceled`.
    public var status: String

    public init(id: String, email: String, role: String, organizationId: String, status: String) {
        self.id = id
        self.email = email
        self.role = role
        self.organizationId = organizationId
        self.status = status
    }
}

/// What `enableTwoFactor(password:)` answers: the authenticator's `otpauth://` URI and the
/// one-time backup codes. Show them once; the server never shows them again.
public struct TwoFactorSetup: Codable, Sendable, Hashable {
    public var totpURI: String
    public var backupCodes: [String]

    public init(totpURI: String, backupCodes: [String]) {
        self.totpURI = totpURI
        self.backupCodes = backupCodes
    }
}

/// Where the app's user stands.
public enum AuthState: Sendable, Hashable {
    case signedOut
    case signedIn(User)
    /// The password (or other first factor) was right; one of `methods` (`totp`, `otp`) must
    /// follow before there is a session.
    case twoFactorRequired(methods: [String])
}

public enum HTTPMethod: String, Sendable, Hashable {
    case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
}
