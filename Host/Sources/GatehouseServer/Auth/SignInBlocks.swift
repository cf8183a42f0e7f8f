import Foundation
import GatehouseStorage
import HTTPTypes

/// Holds that keep a user from signing in, set by plugins (operations `users.blockSignIn` and
/// `users.unblockSignIn`, ABI 1.4): a SCIM deactivation, an administrator's ban. While a user has
/// a live hold, no session is created for them, whichever way they sign in; each plugin holds
/// and releases its own, so one plugin's release leaves another's in place. Rows live in the
/// database, so every instance on it refuses the sign-in at once.
enum SignInBlocks {
    static let table = TableSchema(name: "signInBlock", fields: [
        Field("userId", .string, indexed: true, references: FieldReference(table: "user")),
        Field("plugin", .string),
        Field("code", .string),
        Field("message", .string),
        Field("status", .number),
        Field("expiresAt", .date, required: false),
        Field("createdAt", .date, input: false, defaultValue: .now),
    ], uniqueTogether: [["userId", "plugin"]])
}

extension AuthStore {
    /// Holds `userID` for `plugin` (replacing that plugin's earlier hold) and ends their sessions.
    func blockSignIn(userID: String, plugin: String, refusal: APIError, until expiresAt: Date?) async throws {
        let table = SignInBlocks.table.name
        let mine = [Condition("userId", .eq, .string(userID)), Condition("plugin", .eq, .string(plugin))]
        let hold: Record = [
            "code": .string(refusal.code), "message": .string(refusal.message), "status": .int(Int64(refusal.status.code)),
            "expiresAt": expiresAt.map(DBValue.date) ?? .null,
        ]
        // An upsert: a concurrent hold by the same plugin that inserted first is updated instead.
        if try await adapter.update(table, where: mine, set: hold).isEmpty {
            var row = hold
            row["userId"] = .string(userID)
            row["plugin"] = .string(plugin)
            do {
                try await adapter.create(table, row)
            } catch {
                if try await adapter.update(table, where: mine, set: hold).isEmpty { throw error }
            }
        }
        try await deleteSessions(userID: userID)
    }

    /// Releases `plugin`'s hold on `userID`; answers whether there was one.
    func unblockSignIn(userID: String, plugin: String) async throws -> Bool {
        let released = try await adapter.delete(SignInBlocks.table.name, where: [
            Condition("userId", .eq, .string(userID)), Condition("plugin", .eq, .string(plugin)),
        ])
        return !released.isEmpty
    }

    /// The refusal of a live hold on `userID`, if any.
    func signInRefusal(userID: String) async throws -> APIError? {
        let holds = try await adapter.findMany(SignInBlocks.table.name, where: [Condition("userId", .eq, .string(userID))])
        let now = Date()
        guard let hold = holds.first(where: { $0.date("expiresAt").map { $0 > now } ?? true }) else { return nil }
        let status = hold.int("status").flatMap { (400...499).contains($0) ? HTTPResponse.Status(code: Int($0)) : nil } ?? .forbidden
        return APIError(status, hold.string("code") ?? "SIGN_IN_BLOCKED", hold.string("message") ?? "Sign-in is not allowed for this account")
    }
}
