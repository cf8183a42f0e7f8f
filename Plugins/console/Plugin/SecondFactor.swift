import GatehouseJSON
import PluginKit

/// Whether an administrator must give a two-factor code at the console's sign-in. The
/// two-factor plugin's `status` answers while it is loaded. Without it, a user who turned
/// two-factor on must not get in on the password alone, so the console refuses (403) a user whose
/// row says `twoFactorEnabled`, or whom it saw turn it on: it keeps each user's last known state
/// from the two-factor plugin's `twoFactor.enabled` / `twoFactor.disabled` events and from its
/// `status` answers (the host leaves an unloaded plugin's columns out of user rows). A user whose
/// state it never learnt is refused too once it has seen the two-factor plugin at work: only an
/// administrator it saw without two-factor gets in on the password alone.
struct SecondFactor: Sendable {
    let host: PluginHost

    enum Requirement { case none, required, unavailable }

    func requirement(for userID: String) throws -> Requirement {
        do {
            let enabled = try host.callService(plugin: "two-factor", service: "status", request: ["userId": .string(userID)])["enabled"]?.boolValue == true
            remember(userID, enabled: enabled)
            return enabled ? .required : .none
        } catch is PluginNotLoaded {
            if let row = try host.call("users.find", ["id": .string(userID)])["user"]?["twoFactorEnabled"]?.boolValue {
                return row ? .unavailable : .none
            }
            switch host.kvGet(Self.key(userID)) {
            case "on": return .unavailable
            case "off": return .none
            default: return host.kvGet(Self.seenKey) == nil ? .none : .unavailable
            }
        }
    }

    /// The manifest's event subscriptions (sync: recorded before the two-factor route answers).
    static let events: JSONValue = [["name": "twoFactor.enabled", "sync": true], ["name": "twoFactor.disabled", "sync": true]]

    /// An event `{name, payload: {userId}, source}` of the two-factor plugin.
    func record(_ envelope: JSONValue) {
        guard envelope["source"]?.stringValue == "two-factor", let userID = envelope["payload"]?["userId"]?.stringValue else { return }
        switch envelope["name"]?.stringValue {
        case "twoFactor.enabled": remember(userID, enabled: true)
        case "twoFactor.disabled": remember(userID, enabled: false)
        default: break
        }
    }

    private func remember(_ userID: String, enabled: Bool) {
        let value = enabled ? "on" : "off"
        if host.kvGet(Self.key(userID)) != value {
            host.kvSet(Self.key(userID), value)
            host.kvSet(Self.seenKey, "1")
        }
    }

    private static func key(_ userID: String) -> String { "two-factor:" + userID }
    /// Set once the console has seen the two-factor plugin answer for anyone.
    private static let seenKey = "two-factor:seen"
}
