"""The import contract of pyproject.toml ([tool.importlinter]) catches what it is there for.

`./dev test` runs `lint-imports` on the real tree; these tests run the same contracts, read from
the real pyproject.toml, on a small fake tree of packages named like the apps, so that we see them
fail when a lower app imports a higher one (and pass when the import goes the allowed way).
"""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _importlinter() -> dict:
    with open(PYPROJECT, "rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]


def root_packages() -> list[str]:
    return _importlinter()["root_packages"]


def layer_of() -> dict[str, int]:
    """{app: its layer}, 0 the bottom (tenancy), from the layers contract (listed top first)."""
    [contract] = [c for c in _importlinter()["contracts"] if c["type"] == "layers"]
    layers = list(reversed(contract["layers"]))
    return {app.strip(): n for n, layer in enumerate(layers) for app in layer.split("|")}


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
        "subscriptions", "service_orders", "repairs", "returns", "dispatch", "home",
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
        ("returns/models.py", "from repairs import models\n", "returns", "repairs"),
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


def test_no_template_names_a_url_or_capability_of_a_higher_app():
    """What import-linter cannot see: a lower app's templates naming a higher app's URLs
    ({% url 'agreements:…' %}) or capabilities (request|can:"manage_agreements"). Such a page
    gets a panel registered by the higher app instead (docs/development.md)."""
    layers = layer_of()
    owner = {}  # capability code -> the app that declares it
    for app in layers:
        for module in (ROOT / app).glob("*.py"):
            for code in re.findall(r"capability\(\s*\"(\w+)\"", module.read_text()):
                owner[code] = app
    assert owner["manage_agreements"] == "agreements"  # the scan finds the declarations

    def above(app: str, other: str | None) -> bool:
        return other in layers and other != app and layers[other] >= layers[app]

    found = []
    places = [(app, ROOT / app / "templates") for app in layers] + [("web", ROOT / "templates")]
    for app, folder in places:
        for template in sorted(folder.rglob("*.html")):
            text = template.read_text()
            names = re.findall(r"{%\s*url\s+[\"'](\w+):", text)
            codes = re.findall(r"\|can:[\"'](\w+)[\"']", text)
            found += [f"{template.relative_to(ROOT)}: url {n}:…" for n in names if above(app, n)]
            found += [
                f"{template.relative_to(ROOT)}: capability {c}"
                for c in codes
                if above(app, owner.get(c))
            ]
    assert found == []
