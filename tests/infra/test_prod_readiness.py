"""Ready for real customers (issue 19), as properties of the synthesized prod template (and dev where
it differs): time budgets, alarms that see failures, safe change, edge protection, data keys."""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("aws_cdk", reason="infra tests need infra/requirements.txt: run `make test-infra`")
pytestmark = pytest.mark.timeout(1200)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))
import derive  # noqa: E402

from tests.infra.conftest import synth  # noqa: E402


def resources(tpl, rtype):
    return {k: v for k, v in tpl["Resources"].items() if v["Type"] == rtype}


@pytest.fixture(scope="module")
def tpl(synthesized):
    return synthesized[0]


@pytest.fixture(scope="module")
def dev(synthesized_dev):
    return synthesized_dev[0]


def _fn(tpl, fn):
    return tpl["Resources"][fn["logical_id"]]["Properties"]


# ---- time budgets ------------------------------------------------------------------------------

def _literal_timeout(module: str, callee: str) -> float:
    """The ``timeout=`` literal of the call to ``callee`` in ``module`` (e.g. pywebpush's)."""
    tree = ast.parse((ROOT / Path(*module.split("."))).with_suffix(".py").read_text())
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and getattr(n.func, "id", None) == callee:
            for kw in n.keywords:
                if kw.arg == "timeout":
                    return kw.value.value
    raise AssertionError(f"no timeout= on {callee}() in {module}")


def test_every_function_outlasts_its_outbound_calls(tpl, derived):
    """Each outbound client's worst case (timeout x tries) fits its function's timeout: the API
    stops before API Gateway's 29 s with two Stripe calls' worth; batch consumers fit a whole batch
    of their slowest outbound call; the hourly renewal fits ten Stripe calls."""
    from chalicelib.adapters import stripe_gateway
    from chalicelib.services import webhooks

    stripe_call = stripe_gateway.STRIPE_TIMEOUT_SECONDS * (stripe_gateway.STRIPE_MAX_NETWORK_RETRIES + 1)
    assert stripe_call <= 10
    push_call = _literal_timeout("chalicelib.adapters.webpush", "webpush")
    for fn in derived["functions"]:
        timeout = _fn(tpl, fn)["Timeout"]
        mods = derive.reachable_modules(fn["handler_module"], fn["handler_function"])
        calls = [stripe_call] if "chalicelib.adapters.stripe_gateway" in mods else []
        calls += [push_call] if "chalicelib.adapters.webpush" in mods else []
        calls += [webhooks.TIMEOUT_SECONDS] if "chalicelib.services.webhooks" in mods else []
        slowest = max(calls, default=0)
        if fn["kind"] == "api":
            assert 2 * slowest <= timeout < 29, (fn["name"], timeout)
        elif fn["kind"] in ("dynamodb", "sqs"):
            assert fn["batch_size"] * slowest <= timeout, (fn["name"], timeout, fn["batch_size"], slowest)
        elif fn["kind"] == "schedule":
            assert 10 * slowest <= timeout <= 900, (fn["name"], timeout)


def test_the_stripe_client_is_built_with_those_limits(monkeypatch):
    """The constants the budget is computed from are what the client gets."""
    import stripe

    from chalicelib.adapters import stripe_gateway

    monkeypatch.setenv("CROWDFIX_STRIPE_SECRET_KEY", "sk_test_budget")
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    from chalicelib import credentials

    credentials.forget("STRIPE_SECRET_KEY")
    stripe_gateway.reset_client()
    try:
        client = stripe_gateway._client()
        requestor = client._requestor
        assert requestor._client._timeout == stripe_gateway.STRIPE_TIMEOUT_SECONDS
        assert requestor._options.max_network_retries == stripe_gateway.STRIPE_MAX_NETWORK_RETRIES
        assert isinstance(requestor._client, stripe.HTTPClient)
    finally:
        stripe_gateway.reset_client()
        credentials.forget("STRIPE_SECRET_KEY")


# ---- alarms that see failures ------------------------------------------------------------------

def _alarms(tpl):
    return list(resources(tpl, "AWS::CloudWatch::Alarm").values())


def _metrics(alarm):
    p = alarm["Properties"]
    if "Metrics" in p:
        return [m["MetricStat"]["Metric"] for m in p["Metrics"] if "MetricStat" in m]
    return [{"MetricName": p["MetricName"], "Namespace": p["Namespace"], "Dimensions": p.get("Dimensions", [])}]


def _dims(metric):
    return {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}


def test_api_5xx_and_latency_are_alarmed(tpl):
    api = tpl["Resources"]["RestAPI"]["Properties"]
    by_metric = {(m["Namespace"], m["MetricName"]): (a, m) for a in _alarms(tpl) for m in _metrics(a)}
    for name in ("5XXError", "Latency"):
        alarm, metric = by_metric[("AWS/ApiGateway", name)]
        assert _dims(metric) == {"ApiName": api["Name"], "Stage": api["StageName"]}
        assert api["DefinitionBody"]["info"]["title"] == api["Name"]


def test_payment_paths_alarm_on_errors_and_near_timeouts(tpl, derived):
    paying = [f for f in derived["functions"]
              if "chalicelib.adapters.stripe_gateway" in f["adapters"] and f["kind"] != "api"]
    assert {f["name"] for f in paying} >= {"on_booking_change", "renew_card_holds", "on_work"}
    for fn in paying:
        mine = [a["Properties"] for a in _alarms(tpl)
                if a["Properties"].get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": fn["logical_id"]}}]]
        by_name = {p["MetricName"]: p for p in mine}
        assert by_name["Errors"]["Threshold"] <= 1
        assert by_name["Duration"]["Threshold"] <= 0.8 * 1000 * _fn(tpl, fn)["Timeout"]


def test_every_table_is_watched_for_throttles(tpl):
    tables = set(resources(tpl, "AWS::DynamoDB::Table"))
    watched = {}
    for a in _alarms(tpl):
        for m in _metrics(a):
            if m["Namespace"] == "AWS/DynamoDB":
                watched.setdefault(m["MetricName"], set()).add(_dims(m)["TableName"]["Ref"])
    assert watched["ReadThrottleEvents"] == tables and watched["WriteThrottleEvents"] == tables


def test_ses_reputation_is_alarmed(tpl):
    ses = {m["MetricName"]: a["Properties"]["Threshold"] for a in _alarms(tpl) for m in _metrics(a)
           if m["Namespace"] == "AWS/SES"}
    assert ses == {"Reputation.BounceRate": 0.05, "Reputation.ComplaintRate": 0.001}


def test_the_failure_store_is_alarmed(tpl):
    """Every unit of work that used up its retries emits UnitsFailed (dimensionless EMF,
    chalicelib/services/failures.py): one failure is enough to page."""
    [alarm] = [a["Properties"] for a in _alarms(tpl)
               for m in _metrics(a) if (m["Namespace"], m["MetricName"]) == ("crowdfix", "UnitsFailed")]
    assert alarm["Threshold"] == 1 and alarm["Statistic"] == "Sum" and not alarm.get("Dimensions")


def test_every_alarm_reaches_a_subscriber_and_says_when_it_is_over(tpl):
    (topic,) = resources(tpl, "AWS::SNS::Topic")
    subs = [s["Properties"] for s in resources(tpl, "AWS::SNS::Subscription").values()]
    assert any(s["Protocol"] == "email" and s["TopicArn"] == {"Ref": topic} for s in subs)
    for a in _alarms(tpl):
        assert a["Properties"]["AlarmActions"] == [{"Ref": topic}]
        assert a["Properties"]["OKActions"] == [{"Ref": topic}]


def test_prod_without_an_alarm_subscriber_does_not_synthesize(tmp_path):
    proc = synth(tmp_path, "prod", "domain=crowdfix.example")
    assert proc.returncode != 0 and "set ALARM_EMAIL" in proc.stderr
    assert not (tmp_path / "crowdfix-prod.template.json").exists()


PROD_ALARM_METRIC_BUDGET = 80


def test_prod_alarms_stay_within_the_budget_the_docs_state(tpl):
    """$0.10 per alarm metric a month: docs/deployment.md states the prod budget."""
    metrics = sum(len(_metrics(a)) for a in _alarms(tpl))
    assert metrics <= PROD_ALARM_METRIC_BUDGET, metrics
    doc = (ROOT / "docs" / "deployment.md").read_text()
    assert f"at most {PROD_ALARM_METRIC_BUDGET} alarm metrics" in doc


# ---- safe change -------------------------------------------------------------------------------

def test_prod_is_protected_from_deletion_and_dev_is_not(manifest, synthesized_dev):
    dev_manifest = json.loads((synthesized_dev[1].parent / "manifest.json").read_text())
    assert manifest["artifacts"]["crowdfix-prod"]["properties"]["terminationProtection"] is True
    assert manifest["artifacts"]["crowdfix-prod-edge"]["properties"]["terminationProtection"] is True
    assert not dev_manifest["artifacts"]["crowdfix-dev"]["properties"].get("terminationProtection")


STATEFUL = ("AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::Logs::LogGroup")


def test_stateful_resources_are_retained_in_prod(tpl, dev):
    for rtype in STATEFUL:
        found = resources(tpl, rtype)
        assert found, rtype
        for k, r in found.items():
            assert r.get("DeletionPolicy") == "Retain" and r.get("UpdateReplacePolicy") == "Retain", k
    assert all(r.get("DeletionPolicy") == "Delete" for r in resources(dev, "AWS::DynamoDB::Table").values())


def test_the_site_bucket_keeps_old_versions(tpl):
    for k, b in resources(tpl, "AWS::S3::Bucket").items():
        assert b["Properties"]["VersioningConfiguration"]["Status"] == "Enabled", k
        rules = b["Properties"]["LifecycleConfiguration"]["Rules"]
        assert any("NoncurrentVersionExpiration" in r for r in rules), k


# ---- safe change: aliases, gradual deployment, rollback on alarm ------------------------------

def _sam_transformed(template: dict) -> dict:
    """The template as CloudFormation will run it: SAM's own transform, offline."""
    import copy
    import os

    from samtranslator.translator.transform import transform

    class NoManagedPolicies:  # the functions name their own roles; nothing to look up in IAM
        def load(self):
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
    return transform(copy.deepcopy(template), {}, NoManagedPolicies())


@pytest.fixture(scope="module")
def deployed(tpl):
    return _sam_transformed(tpl)


def test_every_function_is_published_behind_the_live_alias(tpl, dev, derived):
    from stack import DEPLOYMENT_TYPE, LIVE_ALIAS

    for template, stage in ((tpl, "prod"), (dev, "dev")):
        for fn in derived["functions"]:
            props = template["Resources"][fn["logical_id"]]["Properties"]
            assert props["AutoPublishAlias"] == LIVE_ALIAS, fn["name"]
            assert props["DeploymentPreference"]["Type"] == DEPLOYMENT_TYPE[stage], (stage, fn["name"])
    assert DEPLOYMENT_TYPE["prod"].startswith("Canary")


def test_event_sources_and_the_api_invoke_the_alias_not_latest(tpl, derived, deployed):
    res = tpl["Resources"]
    by_fn = {f["logical_id"]: f for f in derived["functions"]}
    for k, m in resources(tpl, "AWS::Lambda::EventSourceMapping").items():
        target = m["Properties"]["FunctionName"]["Ref"]
        assert target.endswith(".Alias") and target[:-len(".Alias")] in by_fn, (k, target)
    uris = [op["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            for ops in res["RestAPI"]["Properties"]["DefinitionBody"]["paths"].values()
            for op in ops.values() if isinstance(op, dict) and "x-amazon-apigateway-integration" in op]
    assert uris and all("${APIHandler.Alias}" in u and "APIHandler.Arn" not in u for u in uris)
    assert res["APIHandlerInvokePermission"]["Properties"]["FunctionName"] == {"Ref": "APIHandler.Alias"}
    # after SAM's transform every one of those is the alias resource, and so is the schedule's target
    out = deployed["Resources"]
    aliases = {k: r for k, r in out.items() if r["Type"] == "AWS::Lambda::Alias"}
    assert {r["Properties"]["FunctionName"]["Ref"] for r in aliases.values()} == set(by_fn)
    assert all(r["Properties"]["Name"] == "live" for r in aliases.values())
    for k, m in out.items():
        if m["Type"] == "AWS::Lambda::EventSourceMapping":
            assert m["Properties"]["FunctionName"]["Ref"] in aliases, k
    assert out["APIHandlerInvokePermission"]["Properties"]["FunctionName"]["Ref"] in aliases
    body = json.dumps(out["RestAPI"]["Properties"])
    assert "${APIHandlerAliaslive}" in body and "APIHandler.Arn" not in body
    rules = [r for r in out.values() if r["Type"] == "AWS::Events::Rule"]
    assert rules and all(t["Arn"]["Ref"] in aliases for r in rules for t in r["Properties"]["Targets"])


def test_prod_deployments_roll_back_by_themselves_on_the_functions_alarms(tpl, derived, deployed):
    """A canary watches each function's own failure alarms: its errors (for the payment path also its
    near-timeouts; for the API also API Gateway's 5xx and latency) and rolls back when one fires."""
    out = deployed["Resources"]
    groups = {k: r["Properties"] for k, r in out.items() if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"}
    assert len(groups) == len(derived["functions"])
    alarms = resources(tpl, "AWS::CloudWatch::Alarm")
    for fn in derived["functions"]:
        g = groups[f"{fn['logical_id']}DeploymentGroup"]
        assert g["DeploymentConfigName"]["Fn::Sub"][1]["ConfigName"] == "Canary10Percent5Minutes"
        assert g["AutoRollbackConfiguration"]["Enabled"] is True
        assert "DEPLOYMENT_STOP_ON_ALARM" in g["AutoRollbackConfiguration"]["Events"]
        assert g["AlarmConfiguration"]["Enabled"] is True
        watched = [alarms[a["Name"]["Ref"]]["Properties"] for a in g["AlarmConfiguration"]["Alarms"]]
        errors = [a for a in watched if a.get("MetricName") == "Errors"]
        assert errors and all(_dims(a)["FunctionName"] == {"Ref": fn["logical_id"]} for a in errors), fn["name"]
        if fn["kind"] == "api":
            assert {a.get("MetricName") for a in watched} >= {"5XXError", "Latency", "Errors"}
        if "chalicelib.adapters.stripe_gateway" in fn["adapters"] and fn["kind"] != "api":
            assert "Duration" in {a.get("MetricName") for a in watched}, fn["name"]
    # the alias moves only through CodeDeploy
    for k, r in out.items():
        if r["Type"] == "AWS::Lambda::Alias":
            assert "CodeDeployLambdaAliasUpdate" in r["UpdatePolicy"], k


def test_dev_shifts_at_once_without_a_canary(dev):
    out = _sam_transformed(dev)["Resources"]
    groups = [r["Properties"] for r in out.values() if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"]
    assert groups and all(g["DeploymentConfigName"]["Fn::Sub"][1]["ConfigName"] == "AllAtOnce" for g in groups)


# ---- data that has no reason to stay -----------------------------------------------------------

EXPIRING = {"notifications", "offers", "webhook-deliveries", "idempotency", "signin-codes", "rate-buckets", "geo-hints",
            "attribution"}


def test_tables_whose_data_expires_have_ttl_on(tpl, dev, derived):
    for template in (tpl, dev):
        with_ttl = {}
        for t in resources(template, "AWS::DynamoDB::Table").values():
            spec = t["Properties"].get("TimeToLiveSpecification")
            if spec:
                with_ttl[t["Properties"]["TableName"].split("-", 2)[2]] = (spec["AttributeName"], spec["Enabled"])
        assert set(with_ttl) == EXPIRING
        assert set(with_ttl.values()) == {("ttl", True)}
    # the money and the contract never expire by themselves
    assert not EXPIRING & {"bookings", "payments", "ledger-movements", "reviews", "customers", "helpers"}


def test_queue_batches_stop_early_enough_for_one_more_record_and_not_too_early(tpl, derived):
    """A batch stops taking records with ``RECORD_RESERVE_MS`` left: enough for the slowest record
    (a hold renewal's two Stripe calls and its DynamoDB writes), and well inside the timeout."""
    from chalicelib import aws
    from chalicelib.adapters import stripe_gateway
    from chalicelib.handlers.batch import RECORD_RESERVE_MS

    stripe_call = stripe_gateway.STRIPE_TIMEOUT_SECONDS * (stripe_gateway.STRIPE_MAX_NETWORK_RETRIES + 1)
    assert RECORD_RESERVE_MS / 1000 >= 2 * stripe_call + aws.READ_TIMEOUT_SECONDS
    for fn in derived["functions"]:
        if fn["kind"] in ("sqs", "dynamodb"):
            assert RECORD_RESERVE_MS / 1000 <= _fn(tpl, fn)["Timeout"] / 2, fn["name"]
        assert aws.worst_case_call_seconds() < _fn(tpl, fn)["Timeout"], fn["name"]


def test_a_region_outside_the_eu_does_not_synthesize(tmp_path):
    proc = synth(tmp_path, "dev", region="us-east-1")
    assert proc.returncode != 0 and "eu-central-1 or eu-central-2 only" in proc.stderr


# ---- edge protection ---------------------------------------------------------------------------

def test_overload_is_a_429_from_the_stage_not_a_500_from_lambda(tpl, dev):
    api_fn = tpl["Resources"]["APIHandler"]["Properties"]
    (settings,) = tpl["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    assert settings["ResourcePath"] == "/*" and settings["HttpMethod"] == "*"
    # API Gateway throttles before the API function's reserved concurrency runs out
    assert 0 < settings["ThrottlingBurstLimit"] <= api_fn["ReservedConcurrentExecutions"]
    assert 0 < settings["ThrottlingRateLimit"]
    (dev_settings,) = dev["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    assert dev_settings["ThrottlingBurstLimit"] <= 10  # a new account's whole concurrency


def test_cloudfront_has_a_waf_with_rate_rules_for_sign_in_partner_and_public_routes(tpl, synthesized_edge, dev,
                                                                                   manifest):
    edge = synthesized_edge[0]
    # `cdk deploy crowdfix-prod` deploys the us-east-1 stack first
    assert "crowdfix-prod-edge" in manifest["artifacts"]["crowdfix-prod"]["dependencies"]
    assert manifest["artifacts"]["crowdfix-prod-edge"]["environment"].endswith("/us-east-1")
    (acl_id, acl), = resources(edge, "AWS::WAFv2::WebACL").items()
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    rates = {r["Name"]: r["Statement"]["RateBasedStatement"] for r in acl["Properties"]["Rules"]
             if "RateBasedStatement" in r["Statement"]}
    assert set(rates) == {"rate-signin", "rate-partner", "rate-all"}
    assert all("Block" in r["Action"] for r in acl["Properties"]["Rules"] if r["Name"].startswith("rate-"))
    assert all(r["AggregateKeyType"] == "IP" for r in rates.values())  # CloudFront sees the client's address
    signin = rates["rate-signin"]["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"]
    assert signin == "/v1/auth/" and rates["rate-signin"]["Limit"] < rates["rate-all"]["Limit"]
    managed = {r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Properties"]["Rules"]
               if "ManagedRuleGroupStatement" in r["Statement"]}
    assert "AWSManagedRulesKnownBadInputsRuleSet" in managed
    # the distribution uses it (its ARN comes across regions through CDK's exports reader)
    (dist,) = resources(tpl, "AWS::CloudFront::Distribution").values()
    web_acl = dist["Properties"]["DistributionConfig"]["WebACLId"]
    assert "CdnWebAclArn" in json.dumps(web_acl)
    assert "WebACLId" not in next(iter(resources(dev, "AWS::CloudFront::Distribution").values()))[
        "Properties"]["DistributionConfig"]
    assert not resources(dev, "AWS::WAFv2::WebACL")  # $5 + $1 per rule a month: prod only


def test_a_rate_rule_answers_429_with_retry_after_and_a_problem_body(synthesized_edge):
    (acl,) = resources(synthesized_edge[0], "AWS::WAFv2::WebACL").values()
    bodies = acl["Properties"]["CustomResponseBodies"]
    for r in acl["Properties"]["Rules"]:
        if not r["Name"].startswith("rate-"):
            continue
        answer = r["Action"]["Block"]["CustomResponse"]
        assert answer["ResponseCode"] == 429, r["Name"]
        assert {h["Name"]: h["Value"] for h in answer["ResponseHeaders"]} == {"Retry-After": "300"}
        body = bodies[answer["CustomResponseBodyKey"]]
        problem = json.loads(body["Content"])
        assert body["ContentType"] == "APPLICATION_JSON" and problem["status"] == 429
        assert problem["type"].endswith("/rate-limited") and "try again" in problem["detail"]
        assert r["Statement"]["RateBasedStatement"]["EvaluationWindowSec"] == 300


def test_partner_keys_are_limited_per_key_by_the_app_not_by_usage_plans(tpl):
    """Partner keys are the app's own (only their hash is stored; issued, rotated and revoked by the
    app): API Gateway usage plans would need each secret imported into API Gateway. Each key's own
    token bucket is its usage plan; the edge and the stage must let a key's default allowance through
    so that it is the key's limit (429 with Retry-After) that a partner meets first."""
    from chalicelib.domain.partners import RateLimit
    from edge import WAF_RATE_LIMITS
    from stack import STAGE_THROTTLE

    assert not resources(tpl, "AWS::ApiGateway::UsagePlan") and not resources(tpl, "AWS::ApiGateway::ApiKey")
    default = RateLimit()
    per_ip_partner = WAF_RATE_LIMITS["partner"][1]
    assert default.requests_per_second * 300 <= per_ip_partner
    assert default.requests_per_second <= STAGE_THROTTLE["prod"]["rate"]
    assert default.burst <= STAGE_THROTTLE["prod"]["burst"]
    # and the partner routes are counted apart from the public traffic's stricter per-IP limit
    assert WAF_RATE_LIMITS["partner"][0] == "/v1/partner/" and per_ip_partner > WAF_RATE_LIMITS["all"][1]


def test_the_api_answers_only_requests_that_came_through_cloudfront(tpl):
    (dist,) = resources(tpl, "AWS::CloudFront::Distribution").values()
    (api_origin,) = [o for o in dist["Properties"]["DistributionConfig"]["Origins"] if o.get("OriginCustomHeaders")]
    (header,) = api_origin["OriginCustomHeaders"]
    (acl_id, acl), = resources(tpl, "AWS::WAFv2::WebACL").items()
    assert acl["Properties"]["Scope"] == "REGIONAL" and "Allow" in acl["Properties"]["DefaultAction"]
    (rule,) = acl["Properties"]["Rules"]
    assert "Block" in rule["Action"]
    match = rule["Statement"]["NotStatement"]["Statement"]["ByteMatchStatement"]
    assert match["FieldToMatch"]["SingleHeader"]["Name"] == header["HeaderName"]
    assert match["PositionalConstraint"] == "EXACTLY" and match["SearchString"] == header["HeaderValue"]
    assert "AWS::StackId" in json.dumps(header["HeaderValue"])  # not a value from the repository
    (assoc,) = resources(tpl, "AWS::WAFv2::WebACLAssociation").values()
    assert assoc["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert "RestAPI" in json.dumps(assoc["Properties"]["ResourceArn"]) and assoc["DependsOn"] == ["RestAPIapiStage"]
    # and only the CloudFront address is published
    assert "execute-api" not in json.dumps(tpl["Outputs"]["ApiUrl"])


# AWS's managed origin request policy "AllViewerExceptHostHeader": every viewer header except Host
# (API Gateway refuses a foreign Host with 403) plus CloudFront's own headers, CloudFront-Viewer-Address
# among them. A custom policy cannot express that: "allViewerAndWhitelistCloudFront" also forwards
# Host, "allExcept" adds no CloudFront header, and "whitelist" may not name Authorization.
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def test_the_api_sees_the_viewers_address_and_not_the_viewers_host(tpl):
    """The per-client limits (sign-in codes, rate buckets) count the viewer's address, which
    reaches the API only as CloudFront-Viewer-Address (chalicelib/domain/headers.client_address)."""
    (dist,) = resources(tpl, "AWS::CloudFront::Distribution").values()
    config = dist["Properties"]["DistributionConfig"]
    api_origin_ids = {o["Id"] for o in config["Origins"] if o.get("OriginCustomHeaders")}
    (api_behavior,) = [b for b in config["CacheBehaviors"] if b["TargetOriginId"] in api_origin_ids]
    assert api_behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    # nothing cached: the cache key would otherwise have to carry Authorization
    assert api_behavior["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled


def test_every_route_the_waf_names_exists():
    import subprocess

    out = subprocess.run([sys.executable, "-c", "import app, json; print(json.dumps(sorted(app.app.routes)))"],
                         capture_output=True, text=True, cwd=ROOT, check=True,
                         env={"CROWDFIX_STAGE": "prod", "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-central-1"})
    routes = json.loads(out.stdout)
    from edge import RATE_EXEMPT, WAF_RATE_LIMITS

    for name, (path, _) in WAF_RATE_LIMITS.items():
        assert path is None or any(r.startswith(path) for r in routes), (name, path)
    for path in RATE_EXEMPT:
        assert any(r.startswith(path) for r in routes), path


def test_access_logs_and_tracing(tpl, derived):
    api = tpl["Resources"]["RestAPI"]["Properties"]
    assert api["TracingEnabled"] is True and api["EndpointConfiguration"] == "REGIONAL"
    dest = api["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0]
    assert tpl["Resources"][dest]["Properties"]["RetentionInDays"] <= 90
    fields = json.loads(api["AccessLogSetting"]["Format"])
    assert {"requestId", "ip", "status", "waf"} <= set(fields)
    assert resources(tpl, "AWS::ApiGateway::Account")  # the role API Gateway writes logs with
    for fn in derived["functions"]:
        assert _fn(tpl, fn)["Tracing"] == "Active"
    (dist,) = resources(tpl, "AWS::CloudFront::Distribution").values()
    assert dist["Properties"]["DistributionConfig"]["Logging"]["Prefix"] == "cdn/"


def test_a_failed_hold_renewal_lands_in_the_failure_store(tpl, derived):
    failure = next(k for k, q in resources(tpl, "AWS::SQS::Queue").items()
                   if q["Properties"]["QueueName"] == derived["stream_failures"]["name"])
    for fn in derived["functions"]:
        if fn["kind"] == "schedule":
            dlq = _fn(tpl, fn)["DeadLetterQueue"]
            assert dlq == {"Type": "SQS", "TargetArn": {"Fn::GetAtt": [failure, "Arn"]}}


# ---- data --------------------------------------------------------------------------------------

def test_prod_tables_use_the_customer_managed_key_and_dev_does_not(tpl, dev, derived):
    (key_id, key), = resources(tpl, "AWS::KMS::Key").items()
    assert key["Properties"]["EnableKeyRotation"] is True
    for k, t in resources(tpl, "AWS::DynamoDB::Table").items():
        sse = t["Properties"]["SSESpecification"]
        assert sse["SSEType"] == "KMS" and sse["KMSMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}, k
    # every function that touches a table may use the key
    for fn in derived["functions"]:
        role = _fn(tpl, fn)["Role"]["Fn::GetAtt"][0]
        # (a large role's statements may overflow into a managed policy CDK attaches to it)
        kms = [st for p in tpl["Resources"].values() if p["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
               and {"Ref": role} in p["Properties"].get("Roles", []) for st in p["Properties"]["PolicyDocument"]["Statement"]
               if "kms:GenerateDataKey*" in st["Action"]]
        assert kms and kms[0]["Resource"] == {"Fn::GetAtt": [key_id, "Arn"]}, fn["name"]
    assert not resources(dev, "AWS::KMS::Key")
    assert all("KMSMasterKeyId" not in t["Properties"]["SSESpecification"]
               for t in resources(dev, "AWS::DynamoDB::Table").values())


# ---- cost of peaks -----------------------------------------------------------------------------

def test_functions_run_on_arm64_with_arm64_native_code(tpl, synthesized):
    """Graviton is only safe if every compiled extension Chalice packaged is an aarch64 build."""
    import zipfile

    for k, r in resources(tpl, "AWS::Serverless::Function").items():
        assert r["Properties"]["Architectures"] == ["arm64"], k
    (layer,) = resources(tpl, "AWS::Serverless::LayerVersion").values()
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    machines = {}
    for asset in synthesized[1].parent.glob("asset.*.zip"):
        with zipfile.ZipFile(asset) as zf:
            for name in zf.namelist():
                if name.endswith(".so") or ".so." in name:
                    head = zf.read(name)[:20]
                    if head[:4] == b"\x7fELF":
                        machines.setdefault(int.from_bytes(head[18:20], "little"), []).append(name)
    assert any("pydantic_core" in n for n in machines.get(183, [])), "no native code found to check"
    assert set(machines) == {183}, {m: names[:3] for m, names in machines.items() if m != 183}  # 183: EM_AARCH64
