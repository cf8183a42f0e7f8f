import Foundation
import GatehouseJSON
import PluginKit

/// Bans: Better Auth's `banned`, `banReason` and `banExpires` fields, enforced by the host's
/// sign-in hold (`users.blockSignIn`), which ends the user's sessions and refuses every later
/// sign-in, whatever signs them in, with 403 `BANNED_USER`. The `banHold` table records the holds
/// this plugin placed, so the periodic sync finds bans written to the database directly (a
/// database migrated from Better Auth) at the cost of two reads.
struct Bans: Sendable {
    let context: AdminContext

    /// `POST /admin/ban-user {userId, banReason?, banExpiresIn?}` → `{user}`; its sessions are gone.
    func ban(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try context.authorize(call, ["user": ["ban"]], else: .notAllowedToBan)
        let id = try call.body.requiredText("userId")
        let reason = call.body.optional("banReason")?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        var lifetime = context.settings.defaultBanExpiresIn
        if let seconds = call.body.optional("banExpiresIn") {
            guard let number = seconds.doubleValue, number > 0, number <= 100 * 365 * 86_400 else {
                throw AdminError.validation.failure(message: "[body.banExpiresIn] Invalid input: expected a positive number of seconds")
            }
            lifetime = Int(number.rounded(.up))
        }
        let before = try context.existingUser(id)
        guard id != caller.userID else { throw AdminError.cannotBanYourself.failure }
        let expires = lifetime.map { JSONValue.string(ISODate.format(Date().addingTimeInterval(TimeInterval($0)))) } ?? .null
        let user = try update(before, ["banned": true, "banReason": .string(reason ?? context.settings.defaultBanReason ?? "No reason"),
                                       "banExpires": expires])
        announce(before, user, by: caller)
        return .json(["user": user])
    }

    /// `POST /admin/unban-user {userId}` → `{user}`, its ban fields cleared.
    func unban(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try context.authorize(call, ["user": ["ban"]], else: .notAllowedToBan)
        let id = try call.body.requiredText("userId")
        let user = try update(try context.existingUser(id), Self.cleared)
        context.announce("admin.user.unbanned", caller, userID: id)
        return .json(["user": user])
    }

    /// After a change of ban fields: `admin.user.banned` when the user's ban is live, or
    /// `admin.user.unbanned` when it was lifted.
    func announce(_ before: JSONValue, _ after: JSONValue, by caller: Caller) {
        guard let id = after["id"]?.stringValue else { return }
        if Self.isLive(after) {
            context.announce("admin.user.banned", caller, userID: id, [("banReason", after["banReason"] ?? .null), ("banExpires", after["banExpires"] ?? .null)])
        } else if before["banned"]?.boolValue == true, after["banned"]?.boolValue != true {
            context.announce("admin.user.unbanned", caller, userID: id)
        }
    }

    /// `user` updated with `changes` (ban fields among them) and its hold brought in line; if the
    /// hold cannot be, the ban fields are put back, so a refused call changes nothing.
    func update(_ user: JSONValue, _ changes: JSONValue) throws -> JSONValue {
        guard let id = user["id"]?.stringValue else { throw AdminError.userNotFound.failure }
        let updated = try context.updateUser(id, changes)
        do {
            return try enforce(updated)
        } catch {
            let previous = JSONValue.object(.init(uniqueKeysWithValues: Users.banFields.sorted().map { ($0, user[$0] ?? .null) }))
            _ = try? context.updateUser(id, previous)
            throw error
        }
    }

    /// Brings the sign-in hold in line with `user`'s ban fields (a row in API form or as stored):
    /// a live ban holds every sign-in until `banExpires`, anything else releases the hold.
    @discardableResult
    func enforce(_ user: JSONValue) throws -> JSONValue {
        guard let id = user["id"]?.stringValue else { return user }
        if Self.isLive(user) {
            _ = try context.host.call("users.blockSignIn", [
                "userId": .string(id), "code": .string(AdminError.bannedUser.rawValue), "message": .string(context.settings.bannedUserMessage),
                "status": 403, "expiresAt": user["banExpires"] ?? .null,
            ])
            try record(id, until: user["banExpires"] ?? .null)
        } else {
            _ = try context.host.call("users.unblockSignIn", ["userId": .string(id)])
            try context.db.delete("banHold", [PluginDatabase.equals("userId", .string(id))])
        }
        return user
    }

    /// After-hook of every new session: a ban that has run out is lifted at the user's next
    /// sign-in, as Better Auth lifts it (the hold already let the sign-in through). A live ban
    /// without a hold yet (written to the database since the last sync) is held now, the new
    /// session ends and the answer becomes 403 `BANNED_USER`. The session exists already, so a failure here is logged, not answered.
    func checkBan(_ call: PluginCall) -> PluginAnswer {
        guard let user = call.newSession?["user"], user["banned"]?.boolValue == true, let id = user["id"]?.stringValue else { return .keep }
        do {
            if Self.isLive(user) {
                try enforce(user)
                return PluginAnswer.error(status: 403, code: AdminError.bannedUser.rawValue, message: context.settings.bannedUserMessage).clearSession()
            }
            try enforce(try context.updateUser(id, Self.cleared))
        } catch {
            context.host.log(.error, "admin: the ban of a signing-in user could not be checked (\((error as? PluginError)?.code ?? "error"))")
        }
        return .keep
    }

    /// The periodic job: holds for banned users that have none (or one with another end), and
    /// releases for users whose ban was lifted or ran out; the rest is left alone.
    func sync() throws {
        let banned = try context.db.findMany("user", [PluginDatabase.equals("banned", true)]).filter(Self.isLive)
        let holds = try context.db.findMany("banHold", [])
        var held: [String: Date?] = [:]
        for hold in holds { if let id = hold["userId"]?.stringValue { held.updateValue(ISODate.parse(hold["expiresAt"]), forKey: id) } }
        for user in banned {
            guard let id = user["id"]?.stringValue else { continue }
            if let end = held[id], Self.sameMoment(end, ISODate.parse(user["banExpires"])) { continue }
            try enforce(user)
        }
        let live = Set(banned.compactMap { $0["id"]?.stringValue })
        for id in held.keys where !live.contains(id) {
            try enforce(["id": .string(id)])
        }
    }

    static let cleared: JSONValue = ["banned": false, "banReason": .null, "banExpires": .null]

    /// `banned` and not yet over.
    static func isLive(_ user: JSONValue) -> Bool {
        guard user["banned"]?.boolValue == true else { return false }
        guard let end = ISODate.parse(user["banExpires"]) else { return true }
        return end > Date()
    }

    private static func sameMoment(_ a: Date?, _ b: Date?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a.timeIntervalSince(b)) < 0.001
    }

    /// The `banHold` row of `userId`, written or updated.
    private func record(_ userID: String, until end: JSONValue) throws {
        let mine = [PluginDatabase.equals("userId", .string(userID))]
        if try context.db.update("banHold", mine, ["expiresAt": end]) > 0 { return }
        do {
            try context.db.create("banHold", ["userId": .string(userID), "expiresAt": end])
        } catch {
            // Another instance recorded it first.
            if try context.db.update("banHold", mine, ["expiresAt": end]) == 0 { throw error }
        }
    }
}
