"""The role home pages."""

import pytest
from django.urls import reverse

from tenancy.roles import Role

pytestmark = pytest.mark.django_db


def test_times_are_shown_in_the_tenant_zone(tenant_a, tenant_b, make_member, client):
    client.force_login(make_member(tenant_b, Role.TECHNICIAN))
    response = client.get(reverse("home"))
    assert str(response.context["local_now"].tzinfo) == "America/Sao_Paulo"
