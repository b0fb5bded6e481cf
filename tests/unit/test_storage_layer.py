"""Services reach DynamoDB only through the storage layer (``chalicelib.store``).

The services below import neither pynamodb nor a pynamodb model, at module level or inside a
function: they take and give typed records (``store.records``) and catch ``ConditionFailed`` /
``AlreadyExists``. The list grows as each aggregate gets its repository; a service on it that
imports pynamodb again fails here.
"""
import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "chalicelib" / "services"
ON_THE_STORAGE_LAYER = {"reviews", "ratings", "quality", "profiles", "failures", "idempotency", "geo_hints",
                        "webhooks", "auth", "payments", "transitions",
                        # notifications (all but the producer, which still reads the payment) and helper photos
                        "notification_channels", "notification_delivery", "notification_messages",
                        "notification_render", "notification_settings", "helper_photos", "matching",
                        # issue 18: tenants and the sandbox (partners and billing still read the ledger's
                        # entries, which move with store/ledger.py)
                        "tenants", "sandbox", "sandbox_helpers", "erasure"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _files(name: str) -> list[Path]:
    """A service module, or every module of a service package (``payments/``)."""
    return sorted((SERVICES / name).glob("*.py")) if (SERVICES / name).is_dir() else [SERVICES / f"{name}.py"]


def test_services_on_the_storage_layer_import_no_pynamodb_and_no_model():
    offenders = {}
    for name in sorted(ON_THE_STORAGE_LAYER):
        for path in _files(name):
            bad = sorted(m for m in _imports(path)
                         if m == "pynamodb" or m.startswith(("pynamodb.", "chalicelib.models")))
            if bad:
                offenders[f"{name}/{path.stem}" if path.parent.name == name else name] = bad
    assert offenders == {}, f"these services talk to DynamoDB past the storage layer: {offenders}"


def test_the_list_names_only_services_that_exist():
    assert all(all(p.exists() for p in _files(name)) and _files(name) for name in ON_THE_STORAGE_LAYER)
