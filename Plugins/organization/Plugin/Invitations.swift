import Foundation
import GatehouseJSON
import PluginKit

/// Invitation routes. Invitations are emailed through the host's transport (template kind
/// `invitation`), expire after `invitationExpiresIn`, and only the invited email can accept or
/// reject them.
struct Invitations: Sendable {
    let directory: Directory
    let members: Members
    let organizations: Organizations
    var db: PluginDatabase { directory.db }
    var settings: OrganizationSettings { directory.settings }

    func invite(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let id = try directory.organizationID(call.body["organizationId"]?.stringValue, caller)
        let actor = try directory.requireMember(caller, in: id)
        try directory.require(["invitation": ["create"]], actor, in: id, else: .notAllowedToInvite)
        guard let email = call.body["email"]?.stringValue?.lowercased(), email.split(separator: "@").count == 2, !email.contains(" ") else {
            throw PluginError(code: "VALIDATION_ERROR", message: "email must be an email address")
        }
        let roles = try members.roleList(call.body["role"], in: id)
        if roles.contains("owner") && !actor.isOwner { throw OrganizationError.notAllowedToInviteWithRole.failure }
        if let user = try directory.host.call("users.find", ["email": .string(email)])["user"]?.nonNull,
           let userID = user["id"]?.stringValue, try directory.membership(of: userID, in: id) != nil {
            throw OrganizationError.alreadyMember.failure
        }
        let teamID = call.body["teamId"]?.stringValue
        if let teamID { try directory.requireTeam(teamID, in: id) }
        let pending = try pendingInvitations(of: id).filter { $0["email"]?.stringValue == email }
        let expiresAt = ISODate.format(Date().addingTimeInterval(TimeInterval(settings.invitationExpiresIn)))
        if let existing = pending.first, call.body["resend"]?.boolValue == true, let existingID = existing["id"]?.stringValue {
            // Resend: same invitation, new expiry, new email.
            try db.update("invitation", [PluginDatabase.equals("id", .string(existingID))], ["expiresAt": .string(expiresAt)])
            let invitation = try invitationRow(existingID)
            try send(invitation, organizationID: id, caller: caller)
            return .json(invitation)
        }
        if !pending.isEmpty {
            guard settings.cancelPendingInvitationsOnReInvite else { throw OrganizationError.alreadyInvited.failure }
            try db.update("invitation", [("id", "IN", .array(pending.compactMap { $0["id"] }))], ["status": "canceled"])
        }
        guard try pendingInvitations(of: id).count < settings.invitationLimit else { throw OrganizationError.invitationLimit.failure }
        let invitation = try db.create("invitation", [
            "organizationId": .string(id), "email": .string(email), "role": .string(roles.joined(separator: ",")),
            "teamId": teamID.map(JSONValue.string) ?? .null, "status": "pending", "expiresAt": .string(expiresAt),
            "inviterId": .string(caller.userID),
        ])
        try send(invitation, organizationID: id, caller: caller)
        directory.emit("organization.invitation.created", ["organizationId": .string(id), "invitation": invitation])
        return .json(invitation)
    }

    func accept(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let invitation = try receivedInvitation(call.body["invitationId"]?.stringValue, caller)
        guard let organizationID = invitation["organizationId"]?.stringValue, let invitationID = invitation["id"]?.stringValue else {
            throw OrganizationError.invitationNotFound.failure
        }
        try members.checkRoom(for: caller.userID, in: organizationID)
        // Only one request can move the invitation out of pending.
        guard try db.update("invitation", [PluginDatabase.equals("id", .string(invitationID)), PluginDatabase.equals("status", "pending")],
                            ["status": "accepted"]) == 1 else { throw OrganizationError.invitationNotFound.failure }
        let teamIDs = (invitation["teamId"]?.stringValue ?? "").split(separator: ",").map(String.init)
        let member = try members.add(userID: caller.userID, role: invitation["role"]?.stringValue ?? "member", to: organizationID, teamIDs: teamIDs)
        try organizations.setActive(caller, organizationID: organizationID)
        return .json(["invitation": try invitationRow(invitationID), "member": member])
    }

    func reject(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let invitation = try receivedInvitation(call.body["invitationId"]?.stringValue, caller)
        let invitationID = invitation["id"]?.stringValue ?? ""
        guard try db.update("invitation", [PluginDatabase.equals("id", .string(invitationID)), PluginDatabase.equals("status", "pending")],
                            ["status": "rejected"]) == 1 else { throw OrganizationError.invitationNotFound.failure }
        return .json(["invitation": try invitationRow(invitationID), "member": .null])
    }

    func cancel(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        guard let invitationID = call.body["invitationId"]?.stringValue,
              let invitation = try db.findOne("invitation", [PluginDatabase.equals("id", .string(invitationID))]),
              let organizationID = invitation["organizationId"]?.stringValue else { throw OrganizationError.invitationNotFound.failure }
        let actor = try directory.requireMember(caller, in: organizationID)
        try directory.require(["invitation": ["cancel"]], actor, in: organizationID, else: .notAllowedToCancel)
        try db.update("invitation", [PluginDatabase.equals("id", .string(invitationID))], ["status": "canceled"])
        return .json(try invitationRow(invitationID))
    }

    /// The invitation for its recipient, with the organization's name and slug and the inviter's email.
    func get(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let invitation = try receivedInvitation(call.query("id"), caller)
        var body = invitation.objectValue ?? [:]
        let organization = try directory.organization(invitation["organizationId"]?.stringValue ?? "")
        body["organizationName"] = organization["name"] ?? .null
        body["organizationSlug"] = organization["slug"] ?? .null
        body["inviterEmail"] = try directory.host.call("users.find", ["id": invitation["inviterId"] ?? .null])["user"]?["email"] ?? .null
        return .json(.object(body))
    }

    func list(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let id = try directory.organizationID(call.query("organizationId"), caller)
        _ = try directory.requireMember(caller, in: id)
        return .json(.array(try db.findMany("invitation", [PluginDatabase.equals("organizationId", .string(id))])))
    }

    /// The caller's pending, unexpired invitations, with organization names.
    func listForUser(_ call: PluginCall) throws -> PluginAnswer {
        let caller = try Caller(call)
        let email = caller.user["email"]?.stringValue?.lowercased() ?? ""
        let rows = try db.findMany("invitation", [PluginDatabase.equals("email", .string(email)), PluginDatabase.equals("status", "pending")])
            .filter { !Directory.isExpired($0) }
        return .json(.array(rows.map { row in
            var body = row.objectValue ?? [:]
            body["organizationName"] = (try? directory.organization(row["organizationId"]?.stringValue ?? ""))?["name"] ?? .null
            return .object(body)
        }))
    }

    /// A pending, unexpired invitation addressed to the caller's email.
    private func receivedInvitation(_ id: String?, _ caller: Caller) throws -> JSONValue {
        guard let id, let invitation = try db.findOne("invitation", [PluginDatabase.equals("id", .string(id))]),
              invitation["status"]?.stringValue == "pending", !Directory.isExpired(invitation) else {
            throw OrganizationError.invitationNotFound.failure
        }
        guard invitation["email"]?.stringValue?.lowercased() == caller.user["email"]?.stringValue?.lowercased() else {
            throw OrganizationError.notRecipient.failure
        }
        return invitation
    }

    private func pendingInvitations(of organizationID: String) throws -> [JSONValue] {
        try db.findMany("invitation", [PluginDatabase.equals("organizationId", .string(organizationID)), PluginDatabase.equals("status", "pending")])
            .filter { !Directory.isExpired($0) }
    }

    private func invitationRow(_ id: String) throws -> JSONValue {
        try db.findOne("invitation", [PluginDatabase.equals("id", .string(id))]) ?? .null
    }

    private func send(_ invitation: JSONValue, organizationID: String, caller: Caller) throws {
        let organization = try directory.organization(organizationID)
        let id = invitation["id"]?.stringValue ?? ""
        do {
            _ = try directory.host.call("email.send", [
                "kind": "invitation", "to": invitation["email"] ?? .null, "url": .string(settings.invitationURL.replacingOccurrences(of: "{id}", with: id)),
                "token": .string(id),
                "context": ["inviterName": caller.user["name"] ?? .null, "inviterEmail": caller.user["email"] ?? .null,
                            "organizationName": organization["name"] ?? .null, "invitationId": .string(id), "role": invitation["role"] ?? .null],
            ])
        } catch let error as PluginError where error.code == "EMAIL_NOT_CONFIGURED" {
            directory.host.log(.warning, "invitation \(id) created but not emailed: no email transport is configured")
        }
    }
}
