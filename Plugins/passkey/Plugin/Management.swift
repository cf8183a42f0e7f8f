import GatehouseJSON
import PluginKit

/// list-user-passkeys, delete-passkey and update-passkey: a user sees and changes only their
/// own passkeys; anyone else's id is "not found", so ids reveal nothing.
struct Management: Sendable {
    let store: PasskeyStore

    func list(_ call: PluginCall) throws -> PluginAnswer {
        .json(.array(try store.list(userID: try userID(call)).map(\.row)))
    }

    func delete(_ call: PluginCall) throws -> PluginAnswer {
        let deleted = try store.db.delete(PasskeyStore.table, try ownRow(call))
        guard deleted == 1 else { throw PasskeyError.passkeyNotFound.failure }
        return .json(["status": true])
    }

    func update(_ call: PluginCall) throws -> PluginAnswer {
        let conditions = try ownRow(call)
        guard try store.db.update(PasskeyStore.table, conditions, ["name": call.body["name"] ?? .null]) == 1,
              let row = try store.db.findOne(PasskeyStore.table, conditions) else { throw PasskeyError.passkeyNotFound.failure }
        return .json(["passkey": row])
    }

    private func ownRow(_ call: PluginCall) throws -> [PluginDatabase.Condition] {
        [PluginDatabase.equals("id", call.body["id"] ?? .null), PluginDatabase.equals("userId", .string(try userID(call)))]
    }

    private func userID(_ call: PluginCall) throws -> String {
        guard let id = call.session?["user"]?["id"]?.stringValue else { throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized") }
        return id
    }
}
