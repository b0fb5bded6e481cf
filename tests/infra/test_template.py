"""Critical properties of the synthesized prod template (synthesized once per session)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("aws_cdk", reason="infra tests need infra/requirements.txt: run `make test-infra`")
# the one synth (Chalice packaging + CDK) can take minutes on a loaded machine
pytestmark = pytest.mark.timeout(1200)


def resources(template, rtype):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == rtype}


def ref_id(value):
    """Logical id behind a Ref / GetAtt."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


@pytest.fixture(scope="module")
def tpl(synthesized):
    return synthesized[0]


def test_nothing_bills_while_idle(tpl):
    forbidden = ("AWS::EC2::", "AWS::RDS::", "AWS::ECS::", "AWS::EKS::", "AWS::ElastiCache::",
                 "AWS::OpenSearchService::", "AWS::Elasticsearch::", "AWS::Kinesis::Stream",
                 "AWS::SecretsManager::Secret", "AWS::Redshift", "AWS::MSK::", "AWS::AutoScaling::")
    types = {r["Type"] for r in tpl["Resources"].values()}
    assert not [t for t in types if t.startswith(forbidden)], types
    for table in resources(tpl, "AWS::DynamoDB::Table").values():
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
        assert "ProvisionedThroughput" not in table["Properties"]
    text = json.dumps(tpl)
    assert "ProvisionedConcurrencyConfig" not in text and "NatGateway" not in text


def test_tables_match_models(tpl, derived):
    tables = {t["Properties"]["TableName"]: t["Properties"] for t in resources(tpl, "AWS::DynamoDB::Table").values()}
    assert set(tables) == {t["name"] for t in derived["tables"]}
    consumed = {f["stream_table"] for f in derived["functions"] if f["stream_table"]}
    for spec in derived["tables"]:
        props = tables[spec["name"]]
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["SSESpecification"]["SSEEnabled"] is True
        assert props.get("TimeToLiveSpecification", {}).get("AttributeName") == spec["ttl_attribute"]
        assert {g["IndexName"] for g in props.get("GlobalSecondaryIndexes", [])} == {g["name"] for g in spec["gsis"]}
        if spec["name"] in consumed:
            assert props["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert props["DeletionProtectionEnabled"] is True  # prod


def test_every_queue_has_a_dlq_and_long_enough_visibility(tpl, derived):
    queues = resources(tpl, "AWS::SQS::Queue")
    by_name = {q["Properties"]["QueueName"]: (k, q["Properties"]) for k, q in queues.items()}
    functions = resources(tpl, "AWS::Serverless::Function")
    for spec in derived["queues"] + [derived["stream_failures"]]:
        _, props = by_name[spec["name"]]
        dlq_id = ref_id(props["RedrivePolicy"]["deadLetterTargetArn"])
        assert queues[dlq_id]["Properties"]["QueueName"] == spec["dlq_name"]
        assert props["RedrivePolicy"]["maxReceiveCount"] == spec["max_receive_count"]
        for fn in derived["functions"]:
            if fn["queue"] == spec["name"]:
                timeout = functions[fn["logical_id"]]["Properties"]["Timeout"]
                assert props["VisibilityTimeout"] >= 6 * timeout


def test_event_sources_are_mappings_with_failure_handling(tpl, derived):
    esms = resources(tpl, "AWS::Lambda::EventSourceMapping")
    functions = resources(tpl, "AWS::Serverless::Function")
    # each mapping invokes its function's live alias (SAM's "<Function>.Alias", test_prod_readiness)
    by_fn = {ref_id(e["Properties"]["FunctionName"]).removesuffix(".Alias"): e["Properties"] for e in esms.values()}
    failure_queue = next(k for k, q in resources(tpl, "AWS::SQS::Queue").items()
                         if q["Properties"]["QueueName"] == derived["stream_failures"]["name"])
    for fn in derived["functions"]:
        events = functions[fn["logical_id"]]["Properties"].get("Events", {})
        # Chalice's own mappings are removed: exactly one mapping per source, ours
        assert not [e for e in events.values() if e["Type"] in ("DynamoDB", "SQS")]
        if fn["kind"] == "dynamodb":
            m = by_fn[fn["logical_id"]]
            assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            assert m["BisectBatchOnFunctionError"] is True
            assert 0 <= m["MaximumRetryAttempts"] <= 10
            assert 60 <= m["MaximumRecordAgeInSeconds"] <= 6 * 3600
            assert ref_id(m["DestinationConfig"]["OnFailure"]["Destination"]) == failure_queue
            assert m["EventSourceArn"]["Fn::GetAtt"][1] == "StreamArn"
        elif fn["kind"] == "sqs":
            assert by_fn[fn["logical_id"]]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        else:
            assert fn["logical_id"] not in by_fn
    assert len(esms) == sum(1 for f in derived["functions"] if f["kind"] in ("dynamodb", "sqs"))


def test_functions_get_stream_arns_and_secret_names_never_values(tpl, derived):
    functions = resources(tpl, "AWS::Serverless::Function")
    for fn in derived["functions"]:
        env = functions[fn["logical_id"]]["Properties"]["Environment"]["Variables"]
        assert env["CROWDFIX_STREAM_ARN_BOOKINGS"]["Fn::GetAtt"][1] == "StreamArn"
        for secret in fn["secrets"]:
            assert env[f"CROWDFIX_{secret}_PARAM"].startswith("/crowdfix/prod/")
    text = json.dumps(tpl)
    for marker in ("sk_live_", "sk_test_", "whsec_", "rk_live_"):
        assert marker not in text
    assert not resources(tpl, "AWS::SSM::Parameter")


def _statements(tpl, role_id):
    out = []
    # CDK moves what does not fit a role's inline policy into "OverflowPolicy" managed policies
    policies = [*resources(tpl, "AWS::IAM::Policy").values(), *resources(tpl, "AWS::IAM::ManagedPolicy").values()]
    for policy in policies:
        if any(ref_id(r) == role_id for r in policy["Properties"].get("Roles", [])):
            out.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return out


def test_each_function_has_its_own_least_privilege_role(tpl, derived):
    functions = resources(tpl, "AWS::Serverless::Function")
    tables = {k: v["Properties"]["TableName"] for k, v in resources(tpl, "AWS::DynamoDB::Table").items()}
    roles = [ref_id(functions[f["logical_id"]]["Properties"]["Role"]) for f in derived["functions"]]
    assert len(set(roles)) == len(roles)
    for fn, role in zip(derived["functions"], roles):
        granted = set()
        statements = _statements(tpl, role)
        denied = {a for st in statements if st["Effect"] == "Deny"
                  for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])}
        for st in statements:
            if st["Effect"] == "Deny":
                continue
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            assert not any(a == "*" or a.endswith(":*") for a in actions), st
            res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            if any(a.startswith("dynamodb:") for a in actions):
                assert "*" not in res
                granted |= {tables[ref_id(r)] for r in res if ref_id(r) in tables}
                granted |= {tables[p[0]["Fn::GetAtt"][0]] for r in res if "Fn::Join" in r
                            for p in [r["Fn::Join"][1]] if isinstance(p[0], dict) and "Fn::GetAtt" in p[0]}
            if "*" in res and not st.get("Condition"):
                # the only unconditioned "*": X-Ray (no resource ARNs) and SMS publishing, which
                # must come with a Deny on every topic
                assert set(actions) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "sns:Publish"}, st
                assert "sns:Publish" not in actions or "sns:Publish" in denied, st
        assert granted == set(fn["tables"]), fn["name"]
    # a stream handler that never reaches bookings cannot touch it
    assert "crowdfix-prod-bookings" not in next(f for f in derived["functions"] if f["name"] == "on_offer_change")["tables"]


def test_static_site_is_private_behind_cloudfront(tpl):
    (bucket,) = [b for k, b in resources(tpl, "AWS::S3::Bucket").items() if k.startswith("Site")]
    pab = bucket["Properties"]["PublicAccessBlockConfiguration"]
    assert all(pab[k] for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"))
    assert resources(tpl, "AWS::CloudFront::OriginAccessControl")
    (dist,) = resources(tpl, "AWS::CloudFront::Distribution").values()
    cfg = dist["Properties"]["DistributionConfig"]
    assert cfg["DefaultRootObject"] == "index.html"
    default = cfg["DefaultCacheBehavior"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["FunctionAssociations"][0]["EventType"] == "viewer-request"
    functions = resources(tpl, "AWS::CloudFront::Function")
    (spa,) = [f for k, f in functions.items() if k.startswith("SpaFallback")]
    assert "/index.html" in spa["Properties"]["FunctionCode"]
    (headers,) = resources(tpl, "AWS::CloudFront::ResponseHeadersPolicy").values()
    sec = headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert sec["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert {b["PathPattern"] for b in cfg["CacheBehaviors"]} == {"/api/*"}
    # no static CSP (it said "frame-ancestors 'self' https:", any https page could frame the app):
    # the site's comes from the FramePolicy function, the API's own passes through
    assert "ContentSecurityPolicy" not in sec and "frame-ancestors" not in json.dumps(headers)


def test_frame_ancestors_are_per_tenant_at_the_edge(tpl):
    """The site's CSP is written by a viewer-response function that lets only the origins signed
    into the widget's iframe URL frame the app (tests/security/test_headers.py runs its code)."""
    from infra import frame_policy

    functions = resources(tpl, "AWS::CloudFront::Function")
    (frame_id,) = [k for k in functions if k.startswith("FramePolicy")]
    (dist,) = resources(tpl, "AWS::CloudFront::Distribution").values()
    cfg = dist["Properties"]["DistributionConfig"]
    assoc = {a["EventType"]: ref_id(a["FunctionARN"]) for a in cfg["DefaultCacheBehavior"]["FunctionAssociations"]}
    assert assoc["viewer-response"] == frame_id
    assert functions[frame_id]["Properties"]["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    # the code is the tested source with the deployment's key, the stack's UUID, spliced in ...
    sep, parts = functions[frame_id]["Properties"]["FunctionCode"]["Fn::Join"]
    key, photos = [p for p in parts if isinstance(p, dict)]
    assert sep == "" and "Photos" in json.dumps(photos) and "RegionalDomainName" in json.dumps(photos)
    code = "".join(p if isinstance(p, str) else ("KEY" if p is key else "PHOTOS") for p in parts)
    assert code == frame_policy.source("KEY", photos_domain="PHOTOS")
    # images also from the helper photos bucket (presigned URLs); Stripe.js is the only third party
    assert "img-src 'self' data: https://PHOTOS;" in code and "script-src 'self' https://js.stripe.com" in code
    uuid_of_stack = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    assert key == uuid_of_stack
    # ... the same value CloudFront sends to the API as its origin header, and the API function knows
    (api_origin,) = [o for o in cfg["Origins"] if "CustomOriginConfig" in o]
    assert {h["HeaderName"]: h["HeaderValue"] for h in api_origin["OriginCustomHeaders"]}["x-crowdfix-origin"] == uuid_of_stack
    apis = [f for f in resources(tpl, "AWS::Serverless::Function").values()
            if "CROWDFIX_CLOUDFRONT_ORIGIN_TOKEN" in f["Properties"].get("Environment", {}).get("Variables", {})]
    assert len(apis) == 1 and apis[0]["Properties"]["Environment"]["Variables"][
        "CROWDFIX_CLOUDFRONT_ORIGIN_TOKEN"] == uuid_of_stack
    from chalicelib.domain.headers import ORIGIN_HEADER
    assert ORIGIN_HEADER == "x-crowdfix-origin"


def _alarm_metrics(alarm: dict) -> list[dict]:
    """The metrics an alarm is billed for: its one metric, or each metric of its math expression."""
    p = alarm["Properties"]
    if "Metrics" in p:
        return [m["MetricStat"]["Metric"] for m in p["Metrics"] if "MetricStat" in m]
    return [{"MetricName": p["MetricName"], "Namespace": p["Namespace"], "Dimensions": p.get("Dimensions", [])}]


def test_alarms_cover_dlqs_errors_throttles_and_age(tpl, derived):
    alarms = list(resources(tpl, "AWS::CloudWatch::Alarm").values())
    assert all(a["Properties"]["AlarmActions"] for a in alarms)
    by_name = {}
    for a in alarms:
        for m in _alarm_metrics(a):
            by_name.setdefault(m["MetricName"], []).append((a, m))
    # any message in a dead-letter queue (the work queue's) or parked by a stream: threshold 0
    visible = by_name["ApproximateNumberOfMessagesVisible"]
    assert len(visible) == len(derived["queues"]) + 1 and all(a["Properties"]["Threshold"] == 0 for a, _ in visible)
    # age of the oldest message of every consumed queue
    assert len(by_name["ApproximateAgeOfOldestMessage"]) == len(derived["queues"])
    # error rate and throttles of every function: account-wide Lambda metrics (no dimension) by default
    (rate,) = [a for a in alarms if "Metrics" in a["Properties"]
               and all(m["Namespace"] == "AWS/Lambda" for m in _alarm_metrics(a))]
    assert {m["MetricName"] for m in _alarm_metrics(rate)} == {"Errors", "Invocations"}
    assert all(not m.get("Dimensions") for m in _alarm_metrics(rate))
    ((throttle, metric),) = by_name["Throttles"]
    assert not metric.get("Dimensions") and throttle["Properties"]["Threshold"] == 0
    # every stream consumer's lag
    streams = [f for f in derived["functions"] if f["kind"] == "dynamodb"]
    assert len(by_name["IteratorAge"]) == len(streams)
    assert resources(tpl, "AWS::CloudWatch::Dashboard")


def test_nothing_bills_at_zero_traffic_beyond_the_free_tier(synthesized_dev, derived):
    """Dev: alarms bill per metric ($0.10 a month; 10 free), a dashboard beyond 50 metrics $3, and each
    SQS queue Lambda consumes is long-polled ~650,000 times a month (1 M requests free). (Prod adds
    the failure alarms, a KMS key and a WAF: tests/infra/test_prod_readiness.py states their cost.)"""
    tpl = synthesized_dev[0]
    alarms = resources(tpl, "AWS::CloudWatch::Alarm").values()
    assert sum(len(_alarm_metrics(a)) for a in alarms) <= 10
    (dash,) = resources(tpl, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dash["Properties"]["DashboardBody"])
    assert body.count("AWS/") <= 50  # one namespace reference per metric line
    mappings = resources(tpl, "AWS::Lambda::EventSourceMapping").values()
    sqs_sources = [m for m in mappings if "Queue" in json.dumps(m["Properties"]["EventSourceArn"])]
    assert len(sqs_sources) == 1


def test_per_function_alarms_can_be_switched_on(derived, tmp_path):
    """``-c per_function_alarms=1``: for an account that runs other functions too."""
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, str(root / "infra" / "main.py"), "-c", "stage=prod",
                           "-c", "per_function_alarms=1", "-c", "alarm_email=ops@crowdfix.example"],
                          env={**os.environ, "AWS_DEFAULT_REGION": "eu-central-1", "CDK_OUTDIR": str(tmp_path),
                               "CROWDFIX_LINT": "0", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
                               "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1"},
                          capture_output=True, text=True, cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tpl = json.loads((tmp_path / "crowdfix-prod.template.json").read_text())
    alarms = list(resources(tpl, "AWS::CloudWatch::Alarm").values())
    throttles = [a for a in alarms if a["Properties"].get("MetricName") == "Throttles"]
    assert len(throttles) == len(derived["functions"]) and all(a["Properties"]["Dimensions"] for a in throttles)
    assert sum(1 for a in alarms if "Metrics" in a["Properties"]
               and all(m["Namespace"] == "AWS/Lambda" for m in _alarm_metrics(a))) == len(derived["functions"])


def test_logs_are_retained_for_a_bounded_time(tpl, derived):
    groups = resources(tpl, "AWS::Logs::LogGroup")
    functions = resources(tpl, "AWS::Serverless::Function")
    for fn in derived["functions"]:
        lg = ref_id(functions[fn["logical_id"]]["Properties"]["LoggingConfig"]["LogGroup"])
        assert groups[lg]["Properties"]["RetentionInDays"] <= 90


def test_the_api_is_capped_in_prod(tpl):
    api = resources(tpl, "AWS::Serverless::Function")["APIHandler"]
    assert api["Properties"]["ReservedConcurrentExecutions"] > 0


def test_memory_is_right_sized_per_function(tpl, derived):
    """The API keeps 1024 MB (cold start); the I/O-bound event handlers run at 512 MB (half the GB-s)."""
    functions = resources(tpl, "AWS::Serverless::Function")
    memory = {f["name"]: functions[f["logical_id"]]["Properties"].get("MemorySize") for f in derived["functions"]}
    assert memory.pop("api_handler") == 1024
    assert memory and set(memory.values()) == {512}, memory


def test_the_deployed_api_has_the_publishable_keys_so_card_entry_is_on(synthesized):
    # GET /v1/payments/config answers {"enabled": false} without them: no card could be held. They are
    # SSM String parameters (deploy_preflight sets or keeps them), resolved by CloudFormation at deploy
    tpl, _ = synthesized
    apis = [f for f in resources(tpl, "AWS::Serverless::Function").values()
            if "CROWDFIX_CLOUDFRONT_ORIGIN_TOKEN" in f["Properties"].get("Environment", {}).get("Variables", {})]
    (api,) = apis
    env = api["Properties"]["Environment"]["Variables"]
    assert env["CROWDFIX_STRIPE_PUBLISHABLE_KEY"] == "{{resolve:ssm:/crowdfix/prod/stripe-publishable-key}}"
    assert env["CROWDFIX_STRIPE_TEST_PUBLISHABLE_KEY"] == "{{resolve:ssm:/crowdfix/prod/stripe-test-publishable-key}}"
