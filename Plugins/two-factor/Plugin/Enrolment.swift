import GatehouseJSON
import PluginKit

/// The signed-in user's management routes: enable, disable, get-totp-uri and
/// generate-backup-codes. Each asks for the password when the user has one.
struct Enrolment: Sendable {
    let context: TwoFactorContext
    let store: TwoFactorStore
    let backupCodes: BackupCodes
    let trustedDevices: TrustedDevices
    let completion: Completion

    init(_ context: TwoFactorContext) {
        self.context = context
        store = TwoFactorStore(db: context.db)
        backupCodes = BackupCodes(context: context)
        trustedDevices = TrustedDevices(context: context)
        completion = Completion(context: context, attempts: ChallengeAttempts(context: context), trustedDevices: trustedDevices)
    }

    /// `method: "totp"` (default) stores a new secret and backup codes and answers the
    /// `otpauth://` URI; two-factor turns on at the first verified code. `method: "otp"` turns it
    /// on at once with emailed codes.
    func enable(_ call: PluginCall) throws -> PluginAnswer {
        let (session, user, userID) = try signedIn(call)
        try confirmPassword(call, userID: userID)
        let settings = context.settings
        switch call.body["method"]?.stringValue ?? "totp" {
        case "totp":
            guard !settings.totpDisabled else { throw TwoFactorError.totpNotConfigured.failure }
            let alreadyVerified = try store.find(userID: userID)?.verified == true
            let verified = settings.skipVerificationOnEnable || alreadyVerified
            let secret = context.randomText(32, alphabet: RandomAlphabet.secret)
            let codes = backupCodes.generate()
            try store.save(userID: userID, secret: try context.failIfNil(context.host.encrypt(secret), "cannot encrypt a TOTP secret"),
                           backupCodes: try backupCodes.seal(codes), verified: verified)
            let uri = context.totpURI(secret: secret, account: user["email"]?.stringValue ?? userID, issuer: call.body["issuer"]?.stringValue)
            let answer = PluginAnswer.json([
                "method": "totp", "totpURI": .string(uri), "totpQRCode": QRCodeSVG.svg(for: uri).map(JSONValue.string) ?? .null,
                "backupCodes": .array(codes.map(JSONValue.string)),
            ])
            guard settings.skipVerificationOnEnable else { return answer }
            try setEnabled(true, userID: userID, user: user)
            return try completion.rotateSession(token: session["token"]?.stringValue ?? "", userID: userID, call, on: answer)
        case "otp":
            guard context.otpAvailable else { throw TwoFactorError.otpNotConfigured.failure }
            var body: JSONValue = ["method": "otp"]
            if try store.find(userID: userID) == nil {
                // A row holds the backup codes and the lockout state; its secret stays unverified.
                let codes = backupCodes.generate()
                let secret = try context.failIfNil(context.host.encrypt(context.randomText(32, alphabet: RandomAlphabet.secret)), "cannot encrypt a TOTP secret")
                try store.save(userID: userID, secret: secret, backupCodes: try backupCodes.seal(codes), verified: false)
                body = ["method": "otp", "backupCodes": .array(codes.map(JSONValue.string))]
            }
            try setEnabled(true, userID: userID, user: user)
            return try completion.rotateSession(token: session["token"]?.stringValue ?? "", userID: userID, call, on: .json(body))
        default:
            throw TwoFactorError.invalidMethod.failure
        }
    }

    /// Turns two-factor off: deletes the secret and backup codes and forgets trusted devices.
    func disable(_ call: PluginCall) throws -> PluginAnswer {
        let (session, user, userID) = try signedIn(call)
        try confirmPassword(call, userID: userID)
        try setEnabled(false, userID: userID, user: user)
        try store.delete(userID: userID)
        try trustedDevices.revokeAll(userID: userID)
        return try completion.rotateSession(token: session["token"]?.stringValue ?? "", userID: userID, call,
                                            on: PluginAnswer.json(["status": true]).expireCookie(CookieNames.trustDeviceBase))
    }

    /// `user.unprovenAccessRevoked` (a host event, delivered awaited): the address of an unverified
    /// user was just proven by its owner, so a second factor set up before belongs to whoever held
    /// the account then, and must not challenge the owner.
    func revokeUnproven(_ call: PluginCall) throws -> PluginAnswer {
        guard let user = call.envelope["payload"]?["user"], let userID = user["id"]?.stringValue else { return PluginAnswer() }
        try setEnabled(false, userID: userID, user: user)
        try store.delete(userID: userID)
        try trustedDevices.revokeAll(userID: userID)
        return PluginAnswer()
    }

    func totpURI(_ call: PluginCall) throws -> PluginAnswer {
        let (_, user, userID) = try signedIn(call)
        try confirmPassword(call, userID: userID)
        guard !context.settings.totpDisabled else { throw TwoFactorError.totpNotConfigured.failure }
        guard let record = try store.find(userID: userID) else { throw TwoFactorError.totpNotEnabled.failure }
        let secret = try context.failIfNil(context.host.decrypt(record.secret), "cannot decrypt the TOTP secret of user \(userID)")
        let uri = context.totpURI(secret: secret, account: user["email"]?.stringValue ?? userID, issuer: nil)
        return .json(["totpURI": .string(uri), "totpQRCode": QRCodeSVG.svg(for: uri).map(JSONValue.string) ?? .null])
    }

    /// New backup codes; the old ones stop working.
    func regenerateBackupCodes(_ call: PluginCall) throws -> PluginAnswer {
        let (_, user, userID) = try signedIn(call)
        try confirmPassword(call, userID: userID)
        guard user["twoFactorEnabled"]?.boolValue == true, let record = try store.find(userID: userID) else {
            throw TwoFactorError.twoFactorNotEnabled.failure
        }
        let codes = backupCodes.generate()
        try store.replaceBackupCodes(of: record, with: try backupCodes.seal(codes))
        return .json(["status": true, "backupCodes": .array(codes.map(JSONValue.string))])
    }

    private func signedIn(_ call: PluginCall) throws -> (session: JSONValue, user: JSONValue, userID: String) {
        guard let session = call.session?["session"], let user = call.session?["user"], let userID = user["id"]?.stringValue else {
            throw PluginError(status: 401, code: "UNAUTHORIZED", message: "Unauthorized")
        }
        return (session, user, userID)
    }

    /// Users with a password must give it; users without one may go on (`allowPasswordless`).
    private func confirmPassword(_ call: PluginCall, userID: String) throws {
        let account = try context.db.findOne("account", [PluginDatabase.equals("userId", .string(userID)), PluginDatabase.equals("providerId", "credential")])
        if let hash = account?["password"]?.stringValue, !hash.isEmpty {
            guard let password = call.body["password"]?.stringValue, context.host.verifyPassword(password, hash: hash) else {
                throw TwoFactorError.invalidPassword.failure
            }
        } else if !context.settings.allowPasswordless {
            throw TwoFactorError.invalidPassword.failure
        }
    }

    /// Turns the user's flag on or off, announcing a change to subscribed plugins.
    private func setEnabled(_ enabled: Bool, userID: String, user: JSONValue) throws {
        _ = try context.host.call("users.update", ["id": .string(userID), "data": ["twoFactorEnabled": .bool(enabled)]])
        if (user["twoFactorEnabled"]?.boolValue ?? false) != enabled { context.announce(enabled: enabled, userID: userID) }
    }
}
