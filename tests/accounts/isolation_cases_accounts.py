"""Isolation cases for the member pages and invitations (see tests/isolation.py)."""

from tests.factories import InvitationFactory, MembershipFactory

CASES = {
    "accounts:member_edit": lambda tenant: {"pk": MembershipFactory(tenant=tenant).pk},
    "accounts:invitation_resend": lambda tenant: {"pk": InvitationFactory(tenant=tenant).pk},
    "accounts:invitation_revoke": lambda tenant: {"pk": InvitationFactory(tenant=tenant).pk},
}

SECRET_LINKS = {
    "invitation": "tests/accounts/test_invitations.py (tampered, expired, reused, revoked links; "
    "another person's invitation)",
}
