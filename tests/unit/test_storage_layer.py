"""Services reach DynamoDB only through the storage layer (``chalicelib.store``).

No module of ``chalicelib/services`` (packages included) imports pynamodb or a pynamodb model, at
module level or inside a function: services take and give typed records (``store.records``) and
catch ``ConditionFailed`` / ``AlreadyExists``. ``NOT_YET`` names the services still being moved
(issue 18.1); it only shrinks, and a service that leaves it may not import pynamodb again.
"""
import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "chalicelib" / "services"
NOT_YET: set[str] = set()  # every service is on the storage layer


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "chalicelib":  # `from chalicelib import models`
                names.update(f"chalicelib.{a.name}" for a in node.names)
    return names


def _talks_to_dynamodb(module: str) -> bool:
    return module == "pynamodb" or module.startswith("pynamodb.") or module == "chalicelib.models" \
        or module.startswith("chalicelib.models.")


def _service_name(path: Path) -> str:
    """``bookings`` for services/bookings.py, ``payments/holds`` for a module of a package."""
    rel = path.relative_to(SERVICES).with_suffix("")
    return "/".join(rel.parts)


def offenders() -> dict[str, list[str]]:
    found = {}
    for path in sorted(SERVICES.rglob("*.py")):
        name = _service_name(path)
        if name.split("/")[0] in NOT_YET:
            continue
        bad = sorted(m for m in _imports(path) if _talks_to_dynamodb(m))
        if bad:
            found[name] = bad
    return found


def test_no_service_imports_pynamodb_or_a_model():
    assert offenders() == {}, f"these services talk to DynamoDB past the storage layer: {offenders()}"


def test_the_list_of_services_not_moved_yet_names_only_services_that_still_need_it():
    still = {name for name in NOT_YET
             if any(_talks_to_dynamodb(m) for p in ([SERVICES / f"{name}.py"] if (SERVICES / f"{name}.py").exists()
                                                    else sorted((SERVICES / name).glob("*.py")))
                    for m in _imports(p))}
    assert still == NOT_YET, f"these services are on the storage layer now; take them off NOT_YET: {NOT_YET - still}"


def test_the_guard_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "svc.py"
    module.write_text("def f():\n    from chalicelib.models.bookings import Booking\n    import pynamodb.exceptions\n")
    assert {m for m in _imports(module) if _talks_to_dynamodb(m)} == {"chalicelib.models.bookings",
                                                                      "pynamodb.exceptions"}
