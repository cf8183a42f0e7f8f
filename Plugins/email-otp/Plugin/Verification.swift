import GatehouseJSON
import PluginKit

/// The routes that take a code: check, verify-email, sign-in and reset-password.
struct Verification: Sendable {
    let context: EmailOTPContext
    let store: OTPStore

    /// `POST /email-otp/check-verification-otp {email, type, otp}` → `{success: true}`. The code
    /// stays usable; a wrong one counts toward the attempt limit.
    func check(_ call: PluginCall) throws -> PluginAnswer {
        let type = try EmailOTPContext.type(in: call.body)
        let email = try EmailOTPContext.email(in: call.body)
        try store.verify(EmailOTPContext.string("otp", in: call.body), identifier: OTPStore.identifier(type: type, email: email), .check)
        // Only someone holding the right code learns whether the address has an account.
        guard try context.user(email: email) != nil else { throw EmailOTPError.userNotFound.failure }
        return .json(["success": true])
    }

    /// `POST /email-otp/verify-email {email, otp}` → `{status: true, token: null, user}` with
    /// the user's `emailVerified` set; with the core's `autoSignInAfterVerification` the user is
    /// signed in and `token` is the new session's.
    func verifyEmail(_ call: PluginCall) throws -> PluginAnswer {
        let email = try EmailOTPContext.email(in: call.body)
        try store.verify(EmailOTPContext.string("otp", in: call.body), identifier: OTPStore.identifier(type: "email-verification", email: email),
                         .consume)
        guard let user = try context.user(email: email), let id = user["id"]?.stringValue else { throw EmailOTPError.userNotFound.failure }
        let answer = PluginAnswer.json(["status": true, "token": .null, "user": try markVerified(user, id: id)])
        return context.core.autoSignInAfterVerification ? answer.signIn(userID: id, tokenKey: "token") : answer
    }

    /// `POST /sign-in/email-otp {email, otp, name?, image?}` → `{token, user}` and the session
    /// cookies. An unknown address becomes a user with a verified address unless `disableSignUp`;
    /// an unverified user's earlier accounts and sessions are revoked before the sign-in
    /// (`users.proveEmail`, Better Auth's `revokeUnprovenAccountAccess`).
    func signIn(_ call: PluginCall) throws -> PluginAnswer {
        let email = try EmailOTPContext.email(in: call.body)
        try store.verify(EmailOTPContext.string("otp", in: call.body), identifier: OTPStore.identifier(type: "sign-in", email: email), .consume)
        var user = try context.user(email: email)
        if user == nil {
            guard !context.settings.disableSignUp else { throw EmailOTPError.invalidOTP.failure }
            user = try createUser(email: email, body: call.body)
        }
        guard var user, let id = user["id"]?.stringValue else { throw EmailOTPError.invalidOTP.failure }
        if user["emailVerified"]?.boolValue != true {
            user = try proveEmail(userID: id)
        }
        return .json(["token": .null, "user": user]).signIn(userID: id, tokenKey: "token")
    }

    /// `POST /email-otp/reset-password {email, otp, password}` → `{success: true}`. The core's
    /// password rules are checked before the code is used; the host's `users.resetPassword` then does what
    /// the core's reset does (hash, `credential` account made when missing, sessions revoked under
    /// `revokeSessionsOnPasswordReset`, the `password.reset` event).
    func resetPassword(_ call: PluginCall) throws -> PluginAnswer {
        let email = try EmailOTPContext.email(in: call.body)
        let password = EmailOTPContext.string("password", in: call.body)
        try context.host.checkNewPassword(password)
        try store.verify(EmailOTPContext.string("otp", in: call.body), identifier: OTPStore.identifier(type: "forget-password", email: email),
                         .consume)
        guard let user = try context.user(email: email), let id = user["id"]?.stringValue else { throw EmailOTPError.userNotFound.failure }
        // The code proved the address: whatever an unverified account gathered before (someone
        // else's password, links, sessions) goes first, as for a sign-in (the pre-hijack
        // defence; Better Auth itself only marks the address verified here).
        if user["emailVerified"]?.boolValue != true { _ = try proveEmail(userID: id) }
        do {
            _ = try context.host.call("users.resetPassword", ["userId": .string(id), "password": .string(password)])
        } catch let failure as PluginError {
            // USER_NOT_FOUND (the user went away meanwhile) and the password refusals are the client's.
            if failure.status == 400 { throw failure }
            guard failure.code == EmailOTPError.userNotFound.rawValue else { throw context.hostFailure("users.resetPassword", failure) }
            throw EmailOTPError.userNotFound.failure
        }
        return .json(["success": true])
    }

    // MARK: Steps

    /// Better Auth's sign-up by code: a verified address, `name` from the request or "".
    private func createUser(email: String, body: JSONValue) throws -> JSONValue? {
        let data: JSONValue = ["email": .string(email), "name": .string(body["name"]?.stringValue ?? ""), "emailVerified": true,
                               "image": body["image"]?.stringValue.map(JSONValue.string) ?? .null]
        do {
            return try context.host.call("users.create", ["data": data])["user"]?.nonNull
        } catch let failure as PluginError {
            // A sign-up of the same address that won a race: sign in to that user instead.
            if let existing = try context.user(email: email) { return existing }
            context.host.log(.error, "email-otp: users.create failed (\(failure.code))")
            throw EmailOTPError.failedToCreateUser.failure
        }
    }

    /// `user` with `emailVerified` set (the host announces `email.verified` when it flips).
    @discardableResult
    private func markVerified(_ user: JSONValue, id: String) throws -> JSONValue {
        guard user["emailVerified"]?.boolValue != true else { return user }
        return try context.call("users.update", ["id": .string(id), "data": ["emailVerified": true]])["user"]?.nonNull ?? user
    }

    /// The user with a proven address; the host strips what an unverified user had gathered.
    private func proveEmail(userID: String) throws -> JSONValue {
        let proof: JSONValue
        do {
            proof = try context.host.call("users.proveEmail", ["userId": .string(userID)])
        } catch let failure as PluginError {
            // The user went away meanwhile: Better Auth answers INVALID_OTP.
            if failure.code == "USER_NOT_FOUND" { throw EmailOTPError.invalidOTP.failure }
            throw context.hostFailure("users.proveEmail", failure)
        }
        guard let user = proof["user"]?.nonNull else { throw EmailOTPError.invalidOTP.failure }
        if proof["revoked"]?.boolValue == true {
            context.host.log(.info, "email-otp: a code proved the address of unverified user \(userID): its accounts and sessions were revoked")
        }
        return user
    }
}
