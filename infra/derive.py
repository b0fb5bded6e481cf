"""What the deployment needs, read from the code itself (no CDK import here: fast to test).

Other branches add tables, queues and handlers all the time, so nothing in ``infra/`` lists them by
hand:

- tables, keys, GSIs, streams and TTL come from ``chalicelib.models.all_models()`` (pynamodb Meta,
  ``_get_schema()``, TTLAttribute);
- queues from ``chalicelib.queues.ALL_QUEUES`` (each with a DLQ) plus ``STREAM_FAILURES``, the
  on-failure destination of every stream mapping;
- functions and their triggers from ``app.app`` (routes -> the API function, ``event_sources``:
  DynamoDB streams, SQS queues, schedules; ``pure_lambda_functions``);
- what each function may touch (least-privilege IAM) from a static import graph: the modules a
  handler imports (in its body, then transitively across ``chalicelib``) decide which tables
  (``chalicelib.models.<module>``), which queues (references to a ``QueueSpec`` name), which secrets
  (``get_secret("NAME")`` literals) and whether it sends e-mail (``chalicelib.adapters.email``).
"""
from __future__ import annotations

import ast
import json
import os
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# pynamodb attribute type letter -> CloudFormation AttributeType
_TYPES = {"S": "S", "N": "N", "B": "B"}


@dataclass(frozen=True)
class IndexSpec:
    name: str
    hash_key: tuple[str, str]
    range_key: tuple[str, str] | None
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    model: str            # "chalicelib.models.bookings.Booking"
    module: str           # "chalicelib.models.bookings"
    name: str             # physical name, e.g. crowdfix-prod-bookings
    short: str            # "bookings"
    hash_key: tuple[str, str]
    range_key: tuple[str, str] | None
    stream_view_type: str | None
    ttl_attribute: str | None
    gsis: tuple[IndexSpec, ...] = ()


@dataclass(frozen=True)
class QueueInfo:
    var: str              # python name in chalicelib.queues, e.g. OFFER_TIMEOUTS
    short: str
    name: str
    dlq_name: str
    visibility_timeout: int
    max_receive_count: int
    consumer_timeout: int
    kinds: tuple[str, ...] = ()  # python names of the message kinds riding this queue (NOTIFICATIONS)


@dataclass
class FunctionSpec:
    """One Lambda function Chalice packages. ``logical_id`` is its id in Chalice's SAM template."""

    name: str
    logical_id: str
    handler_module: str
    handler_function: str | None      # None for the API function (whole app)
    kind: str                          # api | dynamodb | sqs | schedule | pure
    stream_table: str | None = None    # physical table name whose stream triggers it
    queue: str | None = None           # physical queue name that triggers it
    batch_size: int | None = None
    starting_position: str | None = None
    batching_window: int = 0
    schedule: str | None = None
    tables: set[str] = field(default_factory=set)      # physical names it may read/write
    queues_send: set[str] = field(default_factory=set)  # physical queue names it may send to
    dlqs_send: set[str] = field(default_factory=set)    # dead-letter queues it parks messages in itself
    secrets: set[str] = field(default_factory=set)      # logical secret names (TOKEN_SECRET)
    sends_email: bool = False
    adapters: set[str] = field(default_factory=set)     # chalicelib.adapters.* modules it can run


def stage_environment(stage: str) -> dict[str, str]:
    """The environment Chalice gives functions of ``stage`` (top level + stage overrides)."""
    cfg = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env = dict(cfg.get("environment_variables", {}))
    env.update(cfg.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    return env


def stage_config(stage: str) -> dict:
    cfg = json.loads((ROOT / ".chalice" / "config.json").read_text())
    merged = {k: v for k, v in cfg.items() if k != "stages"}
    merged.update(cfg.get("stages", {}).get(stage, {}))
    return merged


def load_code(stage: str, region: str):
    """Import the app and chalicelib with the stage's environment (names derive from it)."""
    for key, value in stage_environment(stage).items():
        os.environ[key] = value
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ.setdefault("AWS_REGION", region)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from chalicelib.settings import get_settings

    get_settings.cache_clear()
    loaded = sys.modules.get("app")
    if loaded is not None and getattr(getattr(loaded, "app", None), "_crowdfix_stage", stage) != stage:
        raise RuntimeError("app was imported for another stage in this process")
    import app as app_module

    app_module.app._crowdfix_stage = stage
    return app_module.app


def tables() -> list[TableSpec]:
    from pynamodb.attributes import TTLAttribute

    from chalicelib.models import all_models
    from chalicelib.settings import get_settings

    prefix = get_settings().resource_prefix + "-"
    out = []
    for model in all_models():
        schema = model._get_schema()
        types = {a["AttributeName"]: _TYPES[a["AttributeType"]] for a in schema["attribute_definitions"]}
        keys = {k["KeyType"]: k["AttributeName"] for k in schema["key_schema"]}
        gsis = []
        for gsi in schema.get("global_secondary_indexes", []):
            gkeys = {k["KeyType"]: k["AttributeName"] for k in gsi["key_schema"]}
            proj = gsi["projection"]
            gsis.append(IndexSpec(
                name=gsi["index_name"],
                hash_key=(gkeys["HASH"], types[gkeys["HASH"]]),
                range_key=(gkeys["RANGE"], types[gkeys["RANGE"]]) if "RANGE" in gkeys else None,
                projection=proj["ProjectionType"],
                non_key_attributes=tuple(proj.get("NonKeyAttributes", ()))))
        if schema.get("local_secondary_indexes"):
            raise NotImplementedError(f"{model.__name__}: local secondary indexes are not deployed yet")
        ttl = [name for name, attr in model.get_attributes().items() if isinstance(attr, TTLAttribute)]
        name = model.Meta.table_name
        out.append(TableSpec(
            model=f"{model.__module__}.{model.__name__}", module=model.__module__, name=name,
            short=name[len(prefix):] if name.startswith(prefix) else name,
            hash_key=(keys["HASH"], types[keys["HASH"]]),
            range_key=(keys["RANGE"], types[keys["RANGE"]]) if "RANGE" in keys else None,
            stream_view_type=getattr(model.Meta, "stream_view_type", None),
            ttl_attribute=ttl[0] if ttl else None,
            gsis=tuple(gsis)))
    return out


def queues() -> tuple[list[QueueInfo], QueueInfo]:
    """(the app's queues, the stream-failure queue)."""
    from chalicelib import queues as q

    names = {id(v): k for k, v in vars(q).items() if isinstance(v, q.QueueSpec)}
    kinds = [(k, v) for k, v in vars(q).items() if isinstance(v, q.Kind)]

    def info(spec):
        return QueueInfo(var=names.get(id(spec), spec.short_name.upper().replace("-", "_")),
                         short=spec.short_name, name=spec.name, dlq_name=spec.dlq_name,
                         visibility_timeout=spec.visibility_timeout,
                         max_receive_count=spec.max_receive_count, consumer_timeout=spec.consumer_timeout,
                         kinds=tuple(sorted(k for k, v in kinds if v.queue is spec)))

    return [info(s) for s in q.ALL_QUEUES], info(q.STREAM_FAILURES)


_STREAM_TABLE = re.compile(r":table/([^/]+)/stream/")


def functions(app) -> list[FunctionSpec]:
    """Every function Chalice will package for ``app``, with its trigger."""
    from chalice.app import CloudWatchEventConfig, DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig
    from chalice.utils import to_cfn_resource_name

    out: list[FunctionSpec] = []
    if app.routes:
        out.append(FunctionSpec(name="api_handler", logical_id="APIHandler", handler_module="app",
                                handler_function=None, kind="api"))
    for src in app.event_sources:
        module, func = src.handler_string.rsplit(".", 1)
        spec = FunctionSpec(name=src.name, logical_id=to_cfn_resource_name(src.name),
                            handler_module=module, handler_function=func, kind="?")
        if isinstance(src, DynamoDBEventConfig):
            match = _STREAM_TABLE.search(src.stream_arn)
            if not match:
                raise ValueError(f"{src.name}: cannot read the table from stream ARN {src.stream_arn}")
            spec.kind, spec.stream_table = "dynamodb", match.group(1)
            spec.batch_size, spec.starting_position = src.batch_size, src.starting_position
            spec.batching_window = src.maximum_batching_window_in_seconds or 0
        elif isinstance(src, SQSEventConfig):
            spec.kind, spec.queue, spec.batch_size = "sqs", src.queue, src.batch_size
            spec.batching_window = src.maximum_batching_window_in_seconds or 0
        elif isinstance(src, (CloudWatchEventConfig, ScheduledEventConfig)):
            expr = src.schedule_expression  # a chalice Rate/Cron object or a plain string
            spec.kind, spec.schedule = "schedule", expr.to_string() if hasattr(expr, "to_string") else str(expr)
        else:
            raise NotImplementedError(f"{src.name}: event source {type(src).__name__} is not deployed yet")
        out.append(spec)
    for pure in app.pure_lambda_functions:
        module, func = pure.handler_string.rsplit(".", 1)
        out.append(FunctionSpec(name=pure.name, logical_id=to_cfn_resource_name(pure.name),
                                handler_module=module, handler_function=func, kind="pure"))
    return out


# ---- least privilege: what a function can reach in the code ------------------------------------

def _module_path(module: str) -> Path | None:
    base = ROOT / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    is_pkg = str(_module_path(module) or "").endswith("__init__.py")
    base = parts if is_pkg else parts[:-1]
    base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # submodule imports
        elif isinstance(node, ast.Call) and _lazy_target(node):
            found.add(_lazy_target(node))  # a lazy module handle: lazy("chalicelib.services.x")
    return {m for m in found if m.split(".")[0] in ("chalicelib", "app") and _module_path(m)}


def _lazy_target(node: ast.Call) -> str | None:
    """The module of ``lazy("chalicelib...")`` (``chalicelib.lazy``), else None."""
    if getattr(node.func, "id", getattr(node.func, "attr", None)) == "lazy" and node.args \
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def _lazy_handles(tree: ast.Module) -> dict[str, str]:
    """A module's top-level ``name = lazy("module")`` handles: name -> module."""
    return {t.id: _lazy_target(n.value) for n in tree.body if isinstance(n, ast.Assign)
            and isinstance(n.value, ast.Call) and _lazy_target(n.value) for t in n.targets if isinstance(t, ast.Name)}


@lru_cache(maxsize=None)
def _parsed(module: str) -> ast.AST:
    return ast.parse(_module_path(module).read_text(), filename=str(_module_path(module)))


def reachable_modules(module: str, function: str | None) -> set[str]:
    """Modules of this repository a handler can run: the imports in the handler's own body (or the
    whole module for the API), the module's top-level imports, then every import of those modules,
    transitively (function-local imports included, so lazily imported code counts)."""
    tree = _parsed(module)
    if function is None:
        start = _imports(module, tree)
    else:
        body = next((n for n in ast.walk(tree)
                     if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == function), None)
        if body is None:
            raise ValueError(f"{module}.{function} not found")
        top = ast.Module(body=[n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))],
                         type_ignores=[])
        start = _imports(module, body) | _imports(module, top)
        # functions of the same module the handler calls or names (a dispatch table), transitively
        funcs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        used, todo, named = [body], [body], {function}
        while todo:
            for x in ast.walk(todo.pop()):
                if isinstance(x, ast.Name) and x.id in funcs and x.id not in named:
                    named.add(x.id)
                    used.append(funcs[x.id])
                    todo.append(funcs[x.id])
                    start |= _imports(module, funcs[x.id])
        # the module's lazy handles the handler (or those helpers) uses
        handles = _lazy_handles(tree)
        start |= {handles[x.id] for u in used for x in ast.walk(u) if isinstance(x, ast.Name) and x.id in handles}
    seen = {module}
    todo = list(start)
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo.extend(_imports(m, _parsed(m)) - seen)
    return seen


def _names(tree: ast.AST) -> set[str]:
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
        elif isinstance(n, ast.alias):
            out.add(n.asname or n.name.split(".")[-1])
    return out


def _secret_names(tree: ast.AST) -> set[str]:
    return {n.args[0].value for n in ast.walk(tree)
            if isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None)) == "get_secret"
            and n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)}


def assign_access(fns: list[FunctionSpec], table_specs: list[TableSpec], queue_infos: list[QueueInfo]) -> None:
    """Fill in tables / queues / secrets / e-mail for each function from its reachable code."""
    by_module: dict[str, list[TableSpec]] = {}
    for t in table_specs:
        by_module.setdefault(t.module, []).append(t)
    for fn in fns:
        mods = reachable_modules(fn.handler_module, fn.handler_function)
        for m in mods:
            for t in by_module.get(m, []):
                fn.tables.add(t.name)
            tree = _parsed(m)
            names = _names(tree)
            for q in queue_infos:
                if m != "chalicelib.queues" and ({q.var, *q.kinds} & names):
                    fn.queues_send.add(q.name)
                    if "dlq_name" in names:  # parks messages in the dead-letter queue itself
                        fn.dlqs_send.add(q.dlq_name)
            fn.secrets |= _secret_names(tree)
        fn.sends_email = "chalicelib.adapters.email" in mods
        fn.adapters = {m for m in mods if m.startswith(ADAPTERS_PACKAGE + ".")}
        if fn.stream_table:
            fn.tables.add(fn.stream_table)


# ---- adapters -> what the deployment must grant or create for them ------------------------------
# Every module in chalicelib/adapters must be listed here (tests/infra fails on one that is not): a
# new adapter is deployed only once someone has said which permission it needs in AWS.
# "grants": the IAM capabilities infra/stack.py turns into statements on the role of each function
# that reaches the adapter; "secrets": read through credentials.get_secret (granted as ssm:GetParameter
# and created by scripts/deploy_secrets.py); "outbound": plain HTTPS to a third party, no AWS grant.
ADAPTERS_PACKAGE = "chalicelib.adapters"
ADAPTER_NEEDS: dict[str, dict] = {
    "chalicelib.adapters.email": {"aws_clients": {"ses"}, "grants": {"ses:send"}},
    "chalicelib.adapters.sms": {"aws_clients": {"sns"}, "grants": {"sns:sms"}},
    "chalicelib.adapters.geocoding": {"aws_clients": {"location"}, "grants": {"geo:place-index"}},
    # helper photos: one private bucket, written on upload, read through presigned GET URLs
    "chalicelib.adapters.photos": {"aws_clients": {"s3"}, "grants": {"s3:photos"}},
    "chalicelib.adapters.webpush": {"aws_clients": set(), "grants": set(), "secrets": {"VAPID_PRIVATE_KEY"},
                                     "outbound": "the browser vendors' push services"},
    "chalicelib.adapters.stripe_gateway": {"aws_clients": set(), "grants": set(),
                                            "secrets": {"STRIPE_SECRET_KEY", "STRIPE_TEST_SECRET_KEY"},
                                            "outbound": "api.stripe.com"},
    # the one module for server-side requests to URLs someone else gave (partner webhooks, push):
    # public internet only, nothing of AWS
    "chalicelib.adapters.outbound": {"aws_clients": set(), "grants": set(),
                                     "outbound": "partners' webhook endpoints and push services (public addresses only)"},
}


def adapter_modules() -> set[str]:
    """The adapter modules in the code (each file of chalicelib/adapters but ``__init__``)."""
    folder = ROOT / Path(*ADAPTERS_PACKAGE.split("."))
    return {f"{ADAPTERS_PACKAGE}.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__"}


def aws_clients_called(module: str) -> set[str]:
    """AWS services a module creates clients for: ``client("sns")`` literals."""
    return {n.args[0].value for n in ast.walk(_parsed(module))
            if isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None)) == "client"
            and n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)}


def grants(fn: FunctionSpec) -> set[str]:
    out: set[str] = set()
    for m in fn.adapters:
        if m not in ADAPTER_NEEDS:
            raise KeyError(f"{m} is not in infra/derive.py ADAPTER_NEEDS: say what it needs in AWS")
        out |= ADAPTER_NEEDS[m]["grants"]
    return out


# public configuration kept in SSM as String parameters beside the secrets (deploy_preflight sets or
# keeps them; the template resolves them into the functions' environment as CROWDFIX_<NAME>):
# Stripe's publishable keys for the web app's card field, live and the sandbox's test one
PUBLIC_CONFIG = ("STRIPE_PUBLISHABLE_KEY", "STRIPE_TEST_PUBLISHABLE_KEY")


def secret_param(stage: str, name: str, env: dict[str, str]) -> str:
    """SSM parameter name of a secret: the stage's ``CROWDFIX_<NAME>_PARAM`` or the convention."""
    return env.get(f"CROWDFIX_{name}_PARAM") or f"/crowdfix/{stage}/{name.lower().replace('_', '-')}"


def describe(stage: str = "dev", region: str = "eu-central-1") -> dict:
    """Everything derived, as JSON-able data (tests and ``python infra/derive.py`` print it)."""
    from dataclasses import asdict

    app = load_code(stage, region)
    table_specs = tables()
    queue_infos, failure = queues()
    fns = functions(app)
    assign_access(fns, table_specs, queue_infos + [failure])
    return {
        "tables": [asdict(t) for t in table_specs],
        "queues": [asdict(q) for q in queue_infos],
        "stream_failures": asdict(failure),
        "functions": [{**asdict(f), "tables": sorted(f.tables), "queues_send": sorted(f.queues_send),
                       "dlqs_send": sorted(f.dlqs_send),
                       "secrets": sorted(f.secrets), "adapters": sorted(f.adapters),
                       "grants": sorted(grants(f))} for f in fns],
        "environment": stage_environment(stage),
    }


if __name__ == "__main__":
    print(json.dumps(describe(*(sys.argv[1:2] or ["dev"])), indent=1))
