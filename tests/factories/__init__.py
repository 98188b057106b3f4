"""factory_boy factories, one module per app. Tenant-owned factories take ``tenant`` like any
other field. Everything is re-exported here, so tests import from ``tests.factories``."""

import factory

from .accounts import *  # noqa: F403
from .agreements import *  # noqa: F403
from .customers import *  # noqa: F403
from .dispatch import *  # noqa: F403
from .invoicing import *  # noqa: F403
from .repairs import *  # noqa: F403
from .returns import *  # noqa: F403
from .service_orders import *  # noqa: F403
from .sla import *  # noqa: F403
from .subscriptions import *  # noqa: F403
from .tenancy import *  # noqa: F403
from .web import *  # noqa: F403


def factory_for_model(model) -> type[factory.django.DjangoModelFactory] | None:
    """The factory of this module that builds ``model`` (tests that run over every model)."""
    for value in list(globals().values()):
        if (
            isinstance(value, type)
            and issubclass(value, factory.django.DjangoModelFactory)
            and value._meta.model is model
        ):
            return value
    return None
