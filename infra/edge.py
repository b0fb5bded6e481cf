"""The prod stage's web ACL for CloudFront. CloudFront takes only web ACLs of scope CLOUDFRONT, and
those exist only in us-east-1: this small stack is the one crowdfix resource outside the EU region
(it holds rules, no data). The main stack reads its ARN through CDK's cross-region references.

CloudFront's ACL sees the real client address, so the per-IP rate rules live here. The API's own
stage ACL (infra/stack.py) only lets through requests that came through CloudFront.
"""
from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

EDGE_REGION = "us-east-1"
# requests per 5 minutes per client IP: sign-in is where guessing and e-mail bombing start; partner
# routes carry API keys (their servers are few addresses with much traffic); everything else is public.
# Matched as "contains" on the URI path (CloudFront sees /api/v1/...).
WAF_RATE_LIMITS = {"signin": ("/v1/auth/", 100), "partner": ("/v1/partner/", 2000), "all": (None, 1000)}
# not counted with the public traffic: partners have their own limit, Stripe signs every webhook
# and sends from few addresses
RATE_EXEMPT = (WAF_RATE_LIMITS["partner"][0], "/v1/stripe/webhook")
MANAGED_RULES = ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet")
# A rate rule answers like the app and the API stage do when a caller is over its limit: 429 with
# Retry-After (the rules count over 5 minutes) and a problem body saying what to do, not WAF's bare 403.
RATE_WINDOW_SECONDS = 300
RATE_LIMITED_BODY = json.dumps({
    "type": "https://crowdfix.dev/problems/rate-limited", "title": "Too many requests", "status": 429,
    "detail": "too many requests from your address in the last 5 minutes; wait a few minutes and try again "
              "(partners: each API key also has its own limit, see GET /v1/tenants/{tenant_id}/api-keys)"})

W = wafv2.CfnWebACL


def visibility(name: str) -> W.VisibilityConfigProperty:
    return W.VisibilityConfigProperty(cloud_watch_metrics_enabled=True, metric_name=name,
                                      sampled_requests_enabled=True)


def path_contains(text: str) -> W.StatementProperty:
    return W.StatementProperty(byte_match_statement=W.ByteMatchStatementProperty(
        field_to_match=W.FieldToMatchProperty(uri_path={}), positional_constraint="CONTAINS",
        search_string=text, text_transformations=[W.TextTransformationProperty(priority=0, type="LOWERCASE")]))


def edge_rules() -> list[W.RuleProperty]:
    rules = [W.RuleProperty(
        name=name, priority=priority, override_action=W.OverrideActionProperty(none={}),
        statement=W.StatementProperty(managed_rule_group_statement=W.ManagedRuleGroupStatementProperty(
            vendor_name="AWS", name=name)),
        visibility_config=visibility(name)) for priority, name in enumerate(MANAGED_RULES)]
    for priority, (name, (path, limit)) in enumerate(WAF_RATE_LIMITS.items(), start=10):
        scope = path_contains(path) if path else W.StatementProperty(not_statement=W.NotStatementProperty(
            statement=W.StatementProperty(or_statement=W.OrStatementProperty(
                statements=[path_contains(p) for p in RATE_EXEMPT]))))
        rules.append(W.RuleProperty(
            name=f"rate-{name}", priority=priority, action=W.RuleActionProperty(block=W.BlockActionProperty(
                custom_response=W.CustomResponseProperty(
                    response_code=429, custom_response_body_key="rate-limited",
                    response_headers=[W.CustomHTTPHeaderProperty(name="Retry-After",
                                                                 value=str(RATE_WINDOW_SECONDS))]))),
            statement=W.StatementProperty(rate_based_statement=W.RateBasedStatementProperty(
                limit=limit, aggregate_key_type="IP", evaluation_window_sec=RATE_WINDOW_SECONDS,
                scope_down_statement=scope)),
            visibility_config=visibility(f"rate-{name}")))
    return rules


class CrowdfixEdgeStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs):
        super().__init__(scope, construct_id, termination_protection=stage == "prod", **kwargs)
        self.web_acl = W(self, "CdnWebAcl", name=f"crowdfix-{stage}-cdn", scope="CLOUDFRONT",
                         default_action=W.DefaultActionProperty(allow={}),
                         custom_response_bodies={"rate-limited": W.CustomResponseBodyProperty(
                             content_type="APPLICATION_JSON", content=RATE_LIMITED_BODY)},
                         visibility_config=visibility(f"crowdfix-{stage}-cdn"), rules=edge_rules())
