import Foundation
import GatehouseStorage

extension AuthStore {
    /// Better Auth's `revokeUnprovenAccountAccess`, for a magic link or an emailed code that has
    /// just proved control of a user's address. An unverified user carries no proof that its
    /// password, social links or sessions belong to the mailbox owner (someone may have signed up
    /// with another's address first): they are deleted, then the address is marked verified. A
    /// verified user keeps everything. Run it in a transaction: the conditional update lets one
    /// caller win when several prove the same address at once. Nil for an unknown user.
    func proveEmail(userID: String) async throws -> (user: Record, revoked: Bool)? {
        let id = Condition("id", .eq, .string(userID))
        guard let promoted = try await adapter.update("user", where: [id, Condition("emailVerified", .eq, .bool(false))],
                                                      set: ["emailVerified": .bool(true)]).first
        else { return try await user(id: userID).map { ($0, false) } }
        for account in try await accounts(userID: userID) {
            try await deleteAccount(id: account.id)
        }
        try await deleteSessions(userID: userID)
        sessionCache.invalidate(userID: userID)
        events.emit(.userUpdated, user: promoted)
        events.emit(.emailVerified, user: promoted)
        return (promoted, true)
    }
}
