import Foundation
import GatehouseJSON
import PluginKit

/// The after-hooks: every answer that starts a session leaves a device cookie for it in the
/// browser, and `/sign-out` ends every account the browser holds.
struct SessionTracking: Sendable {
    let cookies: DeviceCookies
    let sessions: DeviceSessions
    let maximumSessions: Int

    /// A new session: an older session of the same user in this browser is revoked and its
    /// cookie expired, as is a cookie whose session no longer exists; the new session gets its
    /// cookie unless the browser is full.
    func sessionStarted(_ call: PluginCall) throws -> PluginAnswer {
        guard let started = call.newSession, let token = started["session"]?["token"]?.stringValue,
              let userID = started["user"]?["id"], let expiresAt = ISODate.parse(started["session"]?["expiresAt"])
        else { return .keep }
        let baseName = DeviceCookies.baseName(for: token)
        let present = cookies.all(in: call)
        // A session the browser already holds (set-active, revoke's successor) changes nothing.
        let fullName = cookies.host.cookieName(baseName)
        let setCookies = call.response?["setCookies"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if present.contains(where: { $0.baseName == baseName }) || setCookies.contains(where: { $0.hasPrefix(fullName + "=") }) {
            return .keep
        }

        var answer = PluginAnswer.keep
        var dropped = 0
        for cookie in present {
            guard let held = cookie.token else { continue }
            // A cookie whose session is gone (revoked elsewhere, replaced by a second factor's)
            // holds no account any more: it goes too, and frees its place.
            let owner = try sessions.find(held)?["user"]?["id"]
            guard owner == nil || owner == userID else { continue }
            if owner != nil { try sessions.revoke(held) }
            answer = answer.expireCookie(cookie.baseName)
            dropped += 1
        }
        guard present.count - dropped < maximumSessions else { return answer }
        return answer.cookie(baseName, token, maxAge: max(0, Int(expiresAt.timeIntervalSinceNow.rounded(.up))), signed: true)
    }

    /// `/sign-out`: the core ended the active session; every other session named by a genuine
    /// device cookie ends too, and those cookies are expired.
    func signedOut(_ call: PluginCall) throws -> PluginAnswer {
        var answer = PluginAnswer.keep
        for cookie in cookies.all(in: call) {
            guard let token = cookie.token else { continue }
            try sessions.revoke(token)
            answer = answer.expireCookie(cookie.baseName)
        }
        return answer
    }
}
