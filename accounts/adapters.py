"""How allauth behaves in Fieldline (docs/decisions/0010)."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        """No sign-up: a login comes from an invitation (accounts.services)."""
        return False
