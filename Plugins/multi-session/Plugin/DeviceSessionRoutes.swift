import GatehouseJSON
import PluginKit

/// The three routes over the browser's accounts: list them, switch the active one, sign one out.
/// A token counts only with its genuine device cookie, else 401 `INVALID_SESSION_TOKEN`.
struct DeviceSessionRoutes: Sendable {
    let cookies: DeviceCookies
    let sessions: DeviceSessions

    /// `GET /multi-session/list-device-sessions` → `[{session, user}]`: the live sessions of the
    /// browser's device cookies, the first one of each user.
    func list(_ call: PluginCall) throws -> PluginAnswer {
        var listed: [JSONValue] = []
        var users = Set<String>()
        var seen = Set<String>()
        for cookie in cookies.all(in: call) {
            guard let token = cookie.token, seen.insert(token).inserted, let found = try sessions.live(token),
                  let userID = found["user"]?["id"]?.stringValue, users.insert(userID).inserted
            else { continue }
            listed.append(found)
        }
        return .json(.array(listed))
    }

    /// `POST /multi-session/set-active {sessionToken}` → `{session, user}`, with that session's
    /// cookies. A cookie whose session is gone or expired is expired too.
    func setActive(_ call: PluginCall) throws -> PluginAnswer {
        let (cookie, token) = try deviceCookie(call)
        guard let found = try sessions.live(token) else {
            let invalid = MultiSessionError.INVALID_SESSION_TOKEN
            return PluginAnswer.error(status: invalid.status, code: invalid.rawValue, message: invalid.message)
                .expireCookie(cookie.baseName)
        }
        return PluginAnswer.json(found).signIn(sessionToken: token)
    }

    /// `POST /multi-session/revoke {sessionToken}` (session) → `{status: true}`: the session ends
    /// and its cookie goes. If it was the active one, the browser's next live account becomes
    /// active, or, with none left, the session cookies are cleared.
    func revoke(_ call: PluginCall) throws -> PluginAnswer {
        let (cookie, token) = try deviceCookie(call)
        try sessions.revoke(token)
        let answer = PluginAnswer.json(["status": true]).expireCookie(cookie.baseName)
        guard call.session?["session"]?["token"]?.stringValue == token else { return answer }
        for other in cookies.all(in: call) where other.baseName != cookie.baseName {
            guard let next = other.token, try sessions.live(next) != nil else { continue }
            return answer.signIn(sessionToken: next)
        }
        return cookies.sessionCookies(in: call).reduce(answer) { $0.expireCookie($1) }
    }

    private func deviceCookie(_ call: PluginCall) throws -> (DeviceCookies.Cookie, String) {
        guard let requested = call.body["sessionToken"]?.stringValue, let found = cookies.cookie(for: requested, in: call) else {
            throw MultiSessionError.INVALID_SESSION_TOKEN.failure
        }
        return found
    }
}
