import PluginKit

/// Better Auth's organization error codes used here, with their statuses.
enum OrganizationError: String, PluginErrorCode {
    case notAllowedToCreate = "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_NEW_ORGANIZATION"
    case organizationLimit = "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS"
    case slugTaken = "ORGANIZATION_ALREADY_EXISTS"
    case organizationNotFound = "ORGANIZATION_NOT_FOUND"
    case notMember = "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"
    case notAllowedToUpdate = "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_ORGANIZATION"
    case notAllowedToDelete = "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION"
    case noActiveOrganization = "NO_ACTIVE_ORGANIZATION"
    case alreadyMember = "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION"
    case memberNotFound = "MEMBER_NOT_FOUND"
    case roleNotFound = "ROLE_NOT_FOUND"
    case onlyOwner = "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER"
    case notAllowedToDeleteMember = "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER"
    case notAllowedToUpdateMember = "YOU_ARE_NOT_ALLOWED_TO_UPDATE_THIS_MEMBER"
    case notAllowedToInvite = "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION"
    case notAllowedToInviteWithRole = "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE"
    case alreadyInvited = "USER_IS_ALREADY_INVITED_TO_THIS_ORGANIZATION"
    case invitationNotFound = "INVITATION_NOT_FOUND"
    case notRecipient = "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION"
    case notAllowedToCancel = "YOU_ARE_NOT_ALLOWED_TO_CANCEL_THIS_INVITATION"
    case membershipLimit = "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED"
    case invitationLimit = "INVITATION_LIMIT_REACHED"
    case teamNotFound = "TEAM_NOT_FOUND"
    case teamLimit = "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS"
    case notAllowedToManageTeams = "YOU_ARE_NOT_ALLOWED_TO_CREATE_TEAMS_IN_THIS_ORGANIZATION"
    case teamMemberLimit = "TEAM_MEMBER_LIMIT_REACHED"
    case notTeamMember = "USER_IS_NOT_A_MEMBER_OF_THE_TEAM"
    case notAllowedToManageRoles = "YOU_ARE_NOT_ALLOWED_TO_CREATE_A_ROLE"
    case roleNameTaken = "ROLE_NAME_IS_ALREADY_TAKEN"
    case predefinedRole = "CANNOT_DELETE_A_PRE_DEFINED_ROLE"
    case invalidResource = "INVALID_RESOURCE"
    case roleInUse = "ROLE_IS_ASSIGNED_TO_MEMBERS"
    case userNotFound = "USER_NOT_FOUND"

    var message: String {
        switch self {
        case .notAllowedToCreate: "You are not allowed to create a new organization"
        case .organizationLimit: "You have reached the maximum number of organizations"
        case .slugTaken: "Organization already exists"
        case .organizationNotFound: "Organization not found"
        case .notMember: "User is not a member of the organization"
        case .notAllowedToUpdate: "You are not allowed to update this organization"
        case .notAllowedToDelete: "You are not allowed to delete this organization"
        case .noActiveOrganization: "No active organization"
        case .alreadyMember: "User is already a member of this organization"
        case .memberNotFound: "Member not found"
        case .roleNotFound: "Role not found"
        case .onlyOwner: "You cannot leave the organization as the only owner"
        case .notAllowedToDeleteMember: "You are not allowed to delete this member"
        case .notAllowedToUpdateMember: "You are not allowed to update this member"
        case .notAllowedToInvite: "You are not allowed to invite users to this organization"
        case .notAllowedToInviteWithRole: "You are not allowed to invite a user with this role"
        case .alreadyInvited: "User is already invited to this organization"
        case .invitationNotFound: "Invitation not found"
        case .notRecipient: "You are not the recipient of the invitation"
        case .notAllowedToCancel: "You are not allowed to cancel this invitation"
        case .membershipLimit: "Organization membership limit reached"
        case .invitationLimit: "Invitation limit reached"
        case .teamNotFound: "Team not found"
        case .teamLimit: "You have reached the maximum number of teams"
        case .notAllowedToManageTeams: "You are not allowed to manage teams in this organization"
        case .teamMemberLimit: "Team member limit reached"
        case .notTeamMember: "User is not a member of the team"
        case .notAllowedToManageRoles: "You are not allowed to manage roles in this organization"
        case .roleNameTaken: "That role name is already taken"
        case .predefinedRole: "Cannot delete a pre-defined role"
        case .invalidResource: "The permission names a resource or action that does not exist"
        case .roleInUse: "The role is still assigned to members"
        case .userNotFound: "User not found"
        }
    }

    var status: Int {
        switch self {
        case .organizationNotFound, .memberNotFound, .invitationNotFound, .teamNotFound, .roleNotFound: 404
        case .notAllowedToCreate, .notMember, .notAllowedToUpdate, .notAllowedToDelete, .notAllowedToDeleteMember, .notAllowedToUpdateMember,
             .notAllowedToInvite, .notAllowedToInviteWithRole, .notRecipient, .notAllowedToCancel, .notAllowedToManageTeams,
             .notAllowedToManageRoles: 403
        case .slugTaken, .roleNameTaken, .alreadyMember, .alreadyInvited: 409
        default: 400
        }
    }
}
