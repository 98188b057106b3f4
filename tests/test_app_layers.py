"""The import contract of pyproject.toml ([tool.importlinter]) catches what it is there for.

`./dev test` runs `lint-imports` on the real tree; these tests run the same contracts, read from
the real pyproject.toml, on a small fake tree of packages named like the apps, so that we see them
fail when a lower app imports a higher one (and pass when the import goes the allowed way).
"""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def root_packages() -> list[str]:
    with open(PYPROJECT, "rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]["root_packages"]


def lint(tree: Path, imports: dict[str, str]) -> subprocess.CompletedProcess:
    """Build a fake package per root package under `tree`, add `imports` (module path ->
    source), and run lint-imports there with the project's own contracts."""
    for package in root_packages():
        (tree / package).mkdir()
        (tree / package / "__init__.py").write_text("")
    for module, source in imports.items():
        (tree / module).write_text(source)
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", str(PYPROJECT)],
        cwd=tree,  # lint-imports puts its working directory first on sys.path
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_app_is_a_root_package():
    apps = {
        "tenancy", "web", "accounts", "sla", "customers", "invoicing", "agreements",
        "subscriptions", "service_orders", "repairs", "dispatch", "home",
    }  # fmt: skip
    assert apps <= set(root_packages())


def test_a_tree_without_cross_imports_keeps_the_contracts(tmp_path):
    result = lint(tmp_path, {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("dispatch/board.py", "from service_orders import models\n"),
        ("service_orders/views.py", "import agreements.selectors\n"),
        ("customers/services.py", "from sla import selectors\n"),
        ("home/views.py", "import repairs\nimport dispatch\nimport tenancy\n"),
        ("accounts/views.py", "from web import forms\nfrom tenancy import roles\n"),
    ],
)
def test_imports_down_the_layers_are_allowed(tmp_path, module, source):
    result = lint(tmp_path, {module: source})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "source", "importer", "imported"),
    [
        ("tenancy/models.py", "from home import views\n", "tenancy", "home"),
        ("sla/selectors.py", "from customers import models\n", "sla", "customers"),
        ("agreements/models.py", "import service_orders.models\n", "agreements", "service_orders"),
        ("repairs/models.py", "from dispatch import models\n", "repairs", "dispatch"),
        ("dispatch/models.py", "from repairs import models\n", "dispatch", "repairs"),
        ("web/lists.py", "import accounts\n", "web", "accounts"),
        ("accounts/views.py", "from sla import models\n", "accounts", "sla"),
    ],
)
def test_an_import_up_the_layers_breaks_the_contract(tmp_path, module, source, importer, imported):
    result = lint(tmp_path, {module: source})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Apps import only apps below them BROKEN" in result.stdout
    assert f"{importer} is not allowed to import {imported}:" in result.stdout


def test_an_indirect_import_up_the_layers_breaks_the_contract(tmp_path):
    # tenancy -> config -> customers: a chain through a package outside the layers counts.
    result = lint(
        tmp_path,
        {"tenancy/tasks.py": "import config.urls\n", "config/urls.py": "import customers\n"},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Apps import only apps below them BROKEN" in result.stdout
    assert "tenancy is not allowed to import customers:" in result.stdout


def test_tenancy_and_web_name_no_business_app(tmp_path):
    result = lint(tmp_path, {"web/navigation.py": "import service_orders\n"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "tenancy and web name no business app BROKEN" in result.stdout
    assert "web is not allowed to import service_orders:" in result.stdout
