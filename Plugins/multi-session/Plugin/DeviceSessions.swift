import Foundation
import GatehouseJSON
import PluginKit

/// The sessions behind the device cookies, through the host's session operations (so revocations
/// announce `session.revoked`).
struct DeviceSessions: Sendable {
    let host: PluginHost

    /// `{session, user}` in API form for a token, expired or not.
    func find(_ token: String) throws -> JSONValue? {
        try host.call("sessions.find", ["token": .string(token)])["session"]?.nonNull
    }

    /// `{session, user}` for a token whose session has not expired.
    func live(_ token: String) throws -> JSONValue? {
        guard let found = try find(token), let expiresAt = ISODate.parse(found["session"]?["expiresAt"]), expiresAt > Date() else {
            return nil
        }
        return found
    }

    func revoke(_ token: String) throws {
        _ = try host.call("sessions.delete", ["token": .string(token)])
    }
}
