"""Django admin: every model is there for the platform admin, every page opens, every visit is
logged, and tenant staff never get in."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tenancy.models import PlatformAccess
from tests.factories import factory_for_model

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda pair: pair[0]._meta.label)
# Django's own models that Fieldline deliberately leaves out of the admin.
NOT_IN_ADMIN = {"admin.logentry", "auth.permission", "contenttypes.contenttype", "sessions.session"}


@pytest.fixture
def root_user(django_user_model):
    return django_user_model.objects.create_superuser("root@example.test", "pw-root-123456")


@pytest.fixture
def root(client, root_user):
    client.force_login(root_user)
    return client


def test_every_model_is_in_the_admin():
    missing = [
        model._meta.label
        for model in apps.get_models()
        if model not in admin.site._registry
        and model._meta.label_lower not in NOT_IN_ADMIN
        and not model._meta.label_lower.startswith("auth.")
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=lambda v: getattr(v, "__name__", "")
)
def test_admin_pages_open(root, root_user, rf, model, model_admin):
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    assert root.get(reverse(f"{prefix}_changelist")).status_code == 200
    request = rf.get("/admin/")
    request.user = root_user
    if model_admin.has_add_permission(request):
        assert root.get(reverse(f"{prefix}_add")).status_code == 200
    model_factory = factory_for_model(model)
    if model_factory is not None:
        obj = model_factory()
        assert root.get(reverse(f"{prefix}_change", args=[obj.pk])).status_code == 200


def test_every_admin_visit_is_logged(root):
    root.get(reverse("admin:index"))
    root.get(reverse("admin:tenancy_tenant_changelist"))
    assert list(PlatformAccess.objects.values_list("path", flat=True)) == [
        reverse("admin:tenancy_tenant_changelist"),
        reverse("admin:index"),
    ]


def test_django_admin_is_for_platform_admins_only(tenant_a, admin_a, client):
    client.force_login(admin_a)
    response = client.get("/admin/")
    assert response.status_code == 302  # to the admin's own sign-in, not the index
    assert "/admin/login/" in response.url


@pytest.mark.django_db(transaction=True)
def test_a_failed_admin_request_keeps_its_access_record(client, django_user_model):
    """No test transaction around it: the request commits or rolls back as in production.
    Its 404 rolls the request transaction back; the access record was committed before."""
    root_user = django_user_model.objects.create_superuser("root@example.test", "pw-root-123456")
    client.force_login(root_user)
    missing = "/admin/no-such-app/"
    assert client.get(missing).status_code == 404
    assert list(PlatformAccess.objects.values_list("user", "method", "path")) == [
        (root_user.pk, "GET", missing)
    ]
