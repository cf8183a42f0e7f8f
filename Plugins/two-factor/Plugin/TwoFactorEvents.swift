import GatehouseJSON
import PluginKit

/// `twoFactor.enabled` and `twoFactor.disabled` `{userId}`, for subscribed plugins (webhooks,
/// audit logs). A failure to emit is logged and never fails the route.
extension TwoFactorContext {
    func announce(enabled: Bool, userID: String) {
        let name = enabled ? "twoFactor.enabled" : "twoFactor.disabled"
        do {
            _ = try host.call("events.emit", ["name": .string(name), "payload": ["userId": .string(userID)]])
        } catch {
            host.log(.warning, "two-factor: could not emit \(name): \(error)")
        }
    }
}
