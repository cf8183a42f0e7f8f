"""organization plugin (contract §7.4): several users over HTTP — organizations, invitations by email,
roles and permissions, teams, dynamic roles, and the events other plugins receive."""
import shutil
import time

import pytest

from conftest import assert_error, unique_email, wait_until
from test_bearer import built_library


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory):
    plugins = tmp_path_factory.mktemp("organization-plugins")
    shutil.copy(built_library("organization"), plugins / "organization.so")
    shutil.copy(built_library("host-probe"), plugins / "host-probe.so")   # records the events it receives
    return plugins


SETTINGS = {"teams": {"enabled": True, "maximumTeams": 3}, "dynamicAccessControl": {"enabled": True}, "membershipLimit": 5}


@pytest.fixture(scope="module")
def srv(server_factory, plugins_dir):
    return server_factory({"pluginsDir": str(plugins_dir), "plugins": {"organization": SETTINGS}}, name="organization")


def new_org(owner, name="Acme"):
    slug = f"{name.lower()}-{unique_email().split('@')[0][-8:]}"
    r = owner.post("organization/create", {"name": name, "slug": slug, "metadata": {"plan": "pro"}})
    assert r.status_code == 200, r.text
    return r.json()


def invite(owner, org, email, role="member"):
    r = owner.post("organization/invite-member", {"email": email, "role": role, "organizationId": org["id"]})
    assert r.status_code == 200, r.text
    return r.json()


def join(owner, org, role="member"):
    """A new user invited by the owner who accepts: (client, member row)."""
    c = owner.server.client().new_user()
    invitation = invite(owner, org, c.email, role)
    r = c.post("organization/accept-invitation", {"invitationId": invitation["id"]})
    assert r.status_code == 200, r.text
    return c, r.json()["member"]


def events(srv):
    r = srv.client().post("host-probe", {"op": "recordedEvents"})
    return r.json()["answer"]


# ---------------------------------------------------------------------------------------------


def test_the_organization_story(srv, smtp_sink):
    owner = srv.client().new_user()
    org = new_org(owner)
    assert org["metadata"] == {"plan": "pro"} and [m["role"] for m in org["members"]] == ["owner"]
    assert owner.session()["session"]["activeOrganizationId"] == org["id"], "the new organization becomes active"
    assert_error(owner.post("organization/check-slug", {"slug": org["slug"]}), 409, "ORGANIZATION_ALREADY_EXISTS")
    assert owner.post("organization/check-slug", {"slug": org["slug"] + "-free"}).json() == {"status": True}

    # Two invitations by email; the mail carries the invitation link.
    alice, bob, mallory = srv.client().new_user(), srv.client().new_user(), srv.client().new_user()
    to_alice = invite(owner, org, alice.email, "admin")
    to_bob = invite(owner, org, bob.email)
    assert to_alice["status"] == "pending" and to_alice["inviterId"] == owner.session()["user"]["id"]
    mail = smtp_sink.wait_for(alice.email)
    assert to_alice["id"] in mail.text and "Acme" in mail.text
    assert [i["organizationName"] for i in alice.get("organization/list-user-invitations").json()] == ["Acme"]

    # Only the invited email can use an invitation.
    assert_error(mallory.post("organization/accept-invitation", {"invitationId": to_alice["id"]}), 403, "YOU_ARE_NOT_THE_RECIPIENT_OF_THE_INVITATION")
    assert_error(mallory.get("organization/get-invitation", params={"id": to_alice["id"]}), 403)
    r = alice.get("organization/get-invitation", params={"id": to_alice["id"]})
    assert r.json()["organizationName"] == "Acme" and r.json()["inviterEmail"] == owner.email
    r = alice.post("organization/accept-invitation", {"invitationId": to_alice["id"]})
    assert r.status_code == 200 and r.json()["member"]["role"] == "admin", r.text
    assert alice.session()["session"]["activeOrganizationId"] == org["id"]
    assert bob.post("organization/reject-invitation", {"invitationId": to_bob["id"]}).json()["invitation"]["status"] == "rejected"
    assert_error(bob.post("organization/accept-invitation", {"invitationId": to_bob["id"]}), 404, "INVITATION_NOT_FOUND")

    full = owner.get("organization/get-full-organization").json()
    assert sorted(m["user"]["email"] for m in full["members"]) == sorted([owner.email, alice.email])
    assert {i["email"]: i["status"] for i in full["invitations"]} == {alice.email: "accepted", bob.email: "rejected"}

    # Roles: an admin cannot delete the organization; a member cannot invite.
    carol, carol_member = join(owner, org)
    assert_error(alice.post("organization/delete", {"organizationId": org["id"]}), 403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_ORGANIZATION")
    assert_error(carol.post("organization/invite-member", {"email": unique_email(), "role": "member"}), 403,
                 "YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION")
    assert_error(alice.post("organization/invite-member", {"email": unique_email(), "role": "owner"}), 403,
                 "YOU_ARE_NOT_ALLOWED_TO_INVITE_USER_WITH_THIS_ROLE")
    assert carol.post("organization/has-permission", {"permissions": {"member": ["create"]}}).json() == {"success": False, "error": None}
    assert alice.post("organization/has-permission", {"permissions": {"member": ["create"]}}).json()["success"] is True

    # An admin promotes carol; only an owner may make owners.
    r = alice.post("organization/update-member-role", {"memberId": carol_member["id"], "role": "admin"})
    assert r.status_code == 200 and r.json()["role"] == "admin", r.text
    assert carol.get("organization/get-active-member-role").json() == {"role": "admin"}
    assert_error(alice.post("organization/update-member-role", {"memberId": carol_member["id"], "role": "owner"}), 403)
    assert_error(alice.post("organization/update-member-role", {"memberId": carol_member["id"], "role": "emperor"}), 404, "ROLE_NOT_FOUND")
    r = owner.post("organization/update-member-role", {"memberId": carol_member["id"], "role": ["admin", "member"]})
    assert r.json()["role"] == "admin,member"

    # The last owner cannot leave or be demoted; a member can leave; admins remove members.
    owner_member = owner.get("organization/get-active-member").json()
    assert_error(owner.post("organization/leave", {"organizationId": org["id"]}), 400, "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
    assert_error(owner.post("organization/update-member-role", {"memberId": owner_member["id"], "role": "admin"}), 400,
                 "YOU_CANNOT_LEAVE_THE_ORGANIZATION_AS_THE_ONLY_OWNER")
    assert_error(alice.post("organization/remove-member", {"memberIdOrEmail": owner.email}), 403, "YOU_ARE_NOT_ALLOWED_TO_DELETE_THIS_MEMBER")
    assert carol.post("organization/leave", {"organizationId": org["id"]}).status_code == 200
    assert carol.session()["session"]["activeOrganizationId"] is None
    dave, _ = join(owner, org)
    assert alice.post("organization/remove-member", {"memberIdOrEmail": dave.email}).status_code == 200
    assert_error(dave.get("organization/get-full-organization", params={"organizationId": org["id"]}), 403, "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION")
    r = owner.get("organization/list-members", params={"limit": "1"})
    assert r.json()["total"] == 2 and len(r.json()["members"]) == 1

    # The owner deletes it: members, invitations and active pointers go with it.
    assert owner.post("organization/delete", {"organizationId": org["id"]}).json()["id"] == org["id"]
    assert owner.session()["session"]["activeOrganizationId"] is None
    assert owner.get("organization/list").json() == []
    assert srv.query("SELECT COUNT(*) AS n FROM member WHERE \"organizationId\" = ?", org["id"])[0]["n"] == 0


def test_other_organizations_are_403_or_404_never_500(srv):
    owner, stranger = srv.client().new_user(), srv.client().new_user()
    org = new_org(owner)
    invitation = invite(owner, org, unique_email())
    new_org(stranger, "Other")   # the stranger's own active organization
    org_id = org["id"]
    checks = [
        ("POST", "organization/update", {"organizationId": org_id, "data": {"name": "Pwned"}}),
        ("POST", "organization/delete", {"organizationId": org_id}),
        ("POST", "organization/set-active", {"organizationId": org_id}),
        ("POST", "organization/invite-member", {"organizationId": org_id, "email": unique_email(), "role": "member"}),
        ("POST", "organization/cancel-invitation", {"invitationId": invitation["id"]}),
        ("POST", "organization/remove-member", {"organizationId": org_id, "memberIdOrEmail": owner.email}),
        ("POST", "organization/leave", {"organizationId": org_id}),
        ("POST", "organization/has-permission", {"organizationId": org_id, "permissions": {"member": ["create"]}}),
        ("POST", "organization/create-team", {"organizationId": org_id, "name": "Sneaky"}),
        ("POST", "organization/create-role", {"organizationId": org_id, "role": "sneaky", "permission": {"member": ["create"]}}),
        ("GET", "organization/get-full-organization", {"organizationId": org_id}),
        ("GET", "organization/list-members", {"organizationId": org_id}),
        ("GET", "organization/list-invitations", {"organizationId": org_id}),
        ("GET", "organization/list-teams", {"organizationId": org_id}),
        ("GET", "organization/list-roles", {"organizationId": org_id}),
        ("POST", "organization/update", {"organizationId": "does-not-exist", "data": {"name": "x"}}),
    ]
    for method, path, body in checks:
        r = stranger.get(path, params=body) if method == "GET" else stranger.post(path, body)
        assert r.status_code in (403, 404), f"{path}: {r.status_code} {r.text}"
        assert_error(r, r.status_code)
    assert owner.get("organization/get-full-organization").json()["name"] == "Acme"
    assert srv.client().post("organization/create", {"name": "x", "slug": "anon"}).status_code == 401


def test_active_organization_appears_in_get_session(srv):
    owner = srv.client().new_user()
    first, second = new_org(owner, "First"), new_org(owner, "Second")
    assert owner.session()["session"]["activeOrganizationId"] == second["id"]
    r = owner.post("organization/set-active", {"organizationSlug": first["slug"]})
    assert r.status_code == 200 and r.json()["id"] == first["id"] and r.json()["members"][0]["user"]["email"] == owner.email
    assert owner.session()["session"]["activeOrganizationId"] == first["id"]
    assert owner.post("organization/set-active", {"organizationId": None}).json() is None
    assert owner.session()["session"]["activeOrganizationId"] is None
    assert sorted(o["name"] for o in owner.get("organization/list").json()) == ["First", "Second"]


def test_reinviting_cancels_the_pending_invitation_and_resend_keeps_it(srv, smtp_sink):
    owner = srv.client().new_user()
    org = new_org(owner)
    email = unique_email()
    first = invite(owner, org, email)
    resent = owner.post("organization/invite-member", {"email": email, "role": "member", "resend": True}).json()
    assert resent["id"] == first["id"] and resent["expiresAt"] >= first["expiresAt"]
    second = invite(owner, org, email, "admin")
    statuses = {i["id"]: i["status"] for i in owner.get("organization/list-invitations").json()}
    assert statuses == {first["id"]: "canceled", second["id"]: "pending"}
    assert len(smtp_sink.wait_for(email, count=3).text) > 0
    # An invitation expires after 48 hours.
    from datetime import datetime, timedelta, timezone
    expires = datetime.fromisoformat(second["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(hours=47, minutes=59) < expires - datetime.now(timezone.utc) <= timedelta(hours=48)
    # A member cannot be invited again.
    member, _ = join(owner, org)
    assert_error(owner.post("organization/invite-member", {"email": member.email, "role": "member"}), 409,
                 "USER_IS_ALREADY_A_MEMBER_OF_THIS_ORGANIZATION")
    assert owner.post("organization/cancel-invitation", {"invitationId": second["id"]}).json()["status"] == "canceled"


def test_teams(srv):
    owner = srv.client().new_user()
    org = new_org(owner)
    member, member_row = join(owner, org)
    team = owner.post("organization/create-team", {"name": "Platform"}).json()
    assert team["organizationId"] == org["id"]
    assert_error(member.post("organization/create-team", {"name": "Rogue"}), 403)
    assert owner.post("organization/update-team", {"teamId": team["id"], "data": {"name": "Core"}}).json()["name"] == "Core"
    assert owner.post("organization/add-team-member", {"teamId": team["id"], "userId": member_row["userId"]}).status_code == 200
    assert_error(owner.post("organization/add-team-member", {"teamId": team["id"], "userId": "not-a-member"}), 403)
    assert member.post("organization/set-active-team", {"teamId": team["id"]}).json()["id"] == team["id"]
    assert member.session()["session"]["activeTeamId"] == team["id"]
    assert [m["userId"] for m in member.get("organization/list-team-members").json()] == [member_row["userId"]]
    assert [t["name"] for t in member.get("organization/list-user-teams").json()] == ["Core"]
    owner.post("organization/create-team", {"name": "Two"})
    owner.post("organization/create-team", {"name": "Three"})
    assert_error(owner.post("organization/create-team", {"name": "Four"}), 400, "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_TEAMS")
    assert owner.post("organization/remove-team", {"teamId": team["id"]}).status_code == 200
    assert member.session()["session"]["activeTeamId"] is None
    assert sorted(t["name"] for t in owner.get("organization/list-teams").json()) == ["Three", "Two"]


def test_dynamic_roles(srv):
    owner = srv.client().new_user()
    org = new_org(owner)
    member, member_row = join(owner, org)
    r = owner.post("organization/create-role", {"role": "recruiter", "permission": {"invitation": ["create"]}})
    assert r.status_code == 200 and r.json()["roleData"]["permission"] == {"invitation": ["create"]}, r.text
    assert_error(owner.post("organization/create-role", {"role": "recruiter", "permission": {}}), 409, "ROLE_NAME_IS_ALREADY_TAKEN")
    assert_error(owner.post("organization/create-role", {"role": "x", "permission": {"rockets": ["launch"]}}), 400, "INVALID_RESOURCE")
    assert_error(member.post("organization/create-role", {"role": "boss", "permission": {"organization": ["delete"]}}), 403)
    # The new role grants what it says, and only that.
    owner.post("organization/update-member-role", {"memberId": member_row["id"], "role": "recruiter"})
    assert invite(member, org, unique_email())["role"] == "member"
    assert_error(member.post("organization/update", {"data": {"name": "Nope"}}), 403)
    r = owner.post("organization/update-role", {"roleName": "recruiter", "data": {"permission": {"invitation": ["create", "cancel"]}}})
    assert r.json()["roleData"]["permission"] == {"invitation": ["cancel", "create"]}
    assert [r["role"] for r in owner.get("organization/list-roles").json()] == ["recruiter"]
    assert owner.get("organization/get-role", params={"roleName": "recruiter"}).json()["organizationId"] == org["id"]
    assert_error(owner.post("organization/delete-role", {"roleName": "recruiter"}), 400, "ROLE_IS_ASSIGNED_TO_MEMBERS")
    assert_error(owner.post("organization/delete-role", {"roleName": "admin"}), 400, "CANNOT_DELETE_A_PRE_DEFINED_ROLE")
    owner.post("organization/update-member-role", {"memberId": member_row["id"], "role": "member"})
    assert owner.post("organization/delete-role", {"roleName": "recruiter"}).json() == {"success": True}


def test_other_plugins_receive_organization_events(srv):
    owner = srv.client().new_user()
    org = new_org(owner, "Evented")
    member, member_row = join(owner, org)
    owner.post("organization/remove-member", {"memberIdOrEmail": member_row["id"]})
    owner.post("organization/delete", {"organizationId": org["id"]})

    def mine():
        return [(e["name"], e["source"]) for e in events(srv)
                if (e["payload"].get("organizationId") or e["payload"].get("organization", {}).get("id")) == org["id"]]
    expected = [("organization.created", "organization"), ("organization.member.added", "organization"),
                ("organization.invitation.created", "organization"), ("organization.member.added", "organization"),
                ("organization.member.removed", "organization"), ("organization.member.removed", "organization"),
                ("organization.deleted", "organization")]
    assert wait_until(lambda: sorted(mine()) == sorted(expected)), mine()
    added = [e for e in events(srv) if e["name"] == "organization.member.added" and e["payload"]["organizationId"] == org["id"]]
    assert {e["payload"]["member"]["userId"] for e in added} == {owner.session()["user"]["id"], member_row["userId"]}


def test_limits_and_defaults(server, plugins_dir, smtp_sink):
    srv = server({"pluginsDir": str(plugins_dir), "plugins": {"organization": {"organizationLimit": 1, "membershipLimit": 2}}})
    owner = srv.client().new_user()
    org = new_org(owner)
    assert_error(owner.post("organization/create", {"name": "Second", "slug": "second-" + org["slug"]}), 400,
                 "YOU_HAVE_REACHED_THE_MAXIMUM_NUMBER_OF_ORGANIZATIONS")
    join(owner, org)
    late = srv.client().new_user()
    invitation = invite(owner, org, late.email)
    assert_error(late.post("organization/accept-invitation", {"invitationId": invitation["id"]}), 400, "ORGANIZATION_MEMBERSHIP_LIMIT_REACHED")
    # Teams and dynamic roles are off by default.
    assert owner.post("organization/create-team", {"name": "T"}).status_code == 404
    assert owner.get("organization/list-roles").status_code == 404
    someone = srv.client().new_user()
    for body in [{"name": "Bad", "slug": "has spaces"}, {"name": 5, "slug": "five"}, {"name": "Logo", "slug": "logo", "logo": 7},
                 {"name": "Meta", "slug": "meta", "metadata": "text"}, {"slug": "nameless"}]:
        assert_error(someone.post("organization/create", body), 400, "VALIDATION_ERROR")
    assert_error(owner.post("organization/update", {"data": {"name": ""}}), 400, "VALIDATION_ERROR")
    assert_error(owner.post("organization/update", {"data": "rename"}), 400, "VALIDATION_ERROR")
    assert_error(owner.post("organization/invite-member", {"email": "not-an-email", "role": "member"}), 400, "VALIDATION_ERROR")
