import GatehouseJSON
import PluginKit

/// `GET|POST /console/sign-in` and `POST /console/sign-out`. The password is checked as the
/// core's `/sign-in/email` checks it (`passwords.verifySignIn`: e-mail syntax, lockout,
/// `requireEmailVerification`, `signIn.failed`), without making a session. Only an administrator
/// goes on; one with two-factor authentication first gives a code. The session is made last
/// (`sessions.create` with `signIn: true`), so bans refuse it as they refuse every sign-in.
struct SignIn: Sendable {
    let context: ConsoleContext
    let sessions: ConsoleSessions
    let challenges: SignInChallenges
    let secondFactor: SecondFactor

    private var host: PluginHost { context.host }

    /// The form; an administrator already signed in goes to the dashboard.
    func form(_ visit: Visit) throws -> PluginAnswer {
        if case .admin = try sessions.resolve(visit.call) { return context.renderer.redirect(to: context.paths.home) }
        var page = Self.passwordPage(email: "")
        if visit.query("signedOut") == "1" { page.values["notice"] = "You are signed out." }
        return context.show(page, to: nil)
    }

    /// The password step, or with a `challenge` field the code step.
    func submit(_ visit: Visit) throws -> PluginAnswer {
        let challenge = visit.field("challenge")
        return challenge.isEmpty ? try checkPassword(visit) : try checkCode(challenge, visit)
    }

    /// Ends the console session, if any, and deletes its cookie.
    func signOut(_ visit: Visit) throws -> PluginAnswer {
        switch try sessions.resolve(visit.call) {
        case .admin(let viewer), .notAdmin(let viewer): try sessions.close(viewer)
        case .none: break
        }
        return sessions.expire(on: context.renderer.redirect(to: context.paths.signedOut))
    }

    // MARK: Steps

    private func checkPassword(_ visit: Visit) throws -> PluginAnswer {
        let email = visit.field("email")
        let password = visit.call.body["password"]?.stringValue ?? ""
        guard !email.isEmpty, !password.isEmpty else { return refuse(ConsoleError.missingCredentials.failure, email: email) }
        let verdict: JSONValue
        do {
            verdict = try host.call("passwords.verifySignIn", ["email": .string(email), "password": .string(password)])
        } catch let refusal as PluginError where refusal.isRefusal {
            return refuse(refusal, email: email)
        }
        guard verdict["verified"]?.boolValue == true, let userID = verdict["userId"]?.stringValue else {
            return refuse(ConsoleError.invalidCredentials.failure, email: email)
        }
        guard try sessions.isAdmin(userID) else {
            announceRefusal(email: email, userID: userID, ConsoleError.notAdmin)
            return refuse(ConsoleError.notAdmin.failure, email: email)
        }
        switch try secondFactor.requirement(for: userID) {
        case .none: return try finish(userID, visit)
        case .unavailable: return refuse(ConsoleError.twoFactorUnavailable.failure, email: email)
        case .required: return context.show(Self.codePage(try challenges.create(userID: userID)), to: nil)
        }
    }

    /// A right password the console still refuses is a failed sign-in too: announced as the host
    /// announces its own (`signIn.failed`), so the audit log and the dashboard count it. A
    /// delivery problem never changes the answer, so it is only logged.
    private func announceRefusal(email: String, userID: String, _ refusal: ConsoleError) {
        let payload: JSONValue = ["email": .string(email.lowercased()), "userId": .string(userID), "reason": .string(refusal.rawValue)]
        do { _ = try host.call("events.emit", ["name": "signIn.failed", "payload": payload]) } catch {
            host.log(.warning, "console: signIn.failed was not announced (\((error as? PluginError)?.code ?? "\(error)"))")
        }
    }

    private func checkCode(_ id: String, _ visit: Visit) throws -> PluginAnswer {
        guard let challenge = try challenges.take(id) else { return refuse(ConsoleError.challengeExpired.failure, email: "") }
        let code = visit.field("code")
        var valid = false
        do {
            if !code.isEmpty, code.count <= 64 {
                let verdict = try host.callService(plugin: "two-factor", service: "verify",
                                                   request: ["userId": .string(challenge.userID), "code": .string(code)])
                valid = verdict["valid"]?.boolValue == true
            }
        } catch is PluginNotLoaded {
            return refuse(ConsoleError.twoFactorUnavailable.failure, email: "")
        } catch let refusal as PluginError where refusal.isRefusal {
            // The two-factor plugin's own limits (a lockout): its code, the challenge kept.
            return try wrongCode(challenge, refusal)
        }
        guard valid else { return try wrongCode(challenge, ConsoleError.invalidCode.failure) }
        // The role may have changed while the code was typed.
        guard try sessions.isAdmin(challenge.userID) else { return refuse(ConsoleError.notAdmin.failure, email: "") }
        return try finish(challenge.userID, visit)
    }

    private func wrongCode(_ challenge: SignInChallenges.Challenge, _ refusal: PluginError) throws -> PluginAnswer {
        guard let next = try challenges.retry(challenge) else { return refuse(ConsoleError.tooManyAttempts.failure, email: "") }
        var page = Self.codePage(next)
        page.status = refusal.consoleStatus
        page.alert = refusal
        return context.show(page, to: nil)
    }

    /// The session, its cookie and 303 to the dashboard; a refused session (a ban) is the
    /// sign-in page with the refusal.
    private func finish(_ userID: String, _ visit: Visit) throws -> PluginAnswer {
        let opened: (answer: PluginAnswer, sessionID: String)
        do {
            opened = try sessions.open(userID: userID, visit.call, on: context.renderer.redirect(to: context.paths.home))
        } catch let refusal as PluginError where refusal.isRefusal {
            return refuse(refusal, email: "")
        }
        context.flashes.put("Signed in.", session: opened.sessionID)
        return opened.answer
    }

    // MARK: Pages

    /// The password form again with the refusal, no cookie set.
    private func refuse(_ refusal: PluginError, email: String) -> PluginAnswer {
        var page = Self.passwordPage(email: email)
        page.status = refusal.consoleStatus
        page.alert = refusal
        return context.show(page, to: nil)
    }

    private static func passwordPage(email: String) -> Page {
        Page(template: "sign-in", title: "Sign in", values: ["email": email])
    }

    private static func codePage(_ challenge: SignInChallenges.Challenge) -> Page {
        Page(template: "two-factor", title: "Two-factor verification", values: ["challenge": challenge.id])
    }
}
