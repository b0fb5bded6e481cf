"""The crowdfix deployment as one CDK stack, built from what ``derive`` reads in the code.

Chalice (``chalice.cdk.Chalice``) packages the functions, the layer and the REST API. Everything it
cannot express is added here: tables, queues + DLQs, the event source mappings (Chalice's own
DynamoDB/SQS ``Events`` are deleted from its SAM template and re-created as
``AWS::Lambda::EventSourceMapping`` with partial batch responses, bisect, retry cap, record age and
an on-failure destination), one IAM role per function, log groups with retention, the static site
behind CloudFront, alarms and a dashboard.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import (
    aws_cloudfront as cloudfront,
    aws_cloudfront_origins as origins,
    aws_cloudwatch as cw,
    aws_cloudwatch_actions as cw_actions,
    aws_dynamodb as ddb,
    aws_iam as iam,
    aws_kms as kms,
    aws_lambda as lambda_,
    aws_location as location,
    aws_logs as logs,
    aws_s3 as s3,
    aws_ses as ses,
    aws_sns as sns,
    aws_sns_subscriptions as subs,
    aws_sqs as sqs,
    aws_wafv2 as wafv2,
)
from constructs import Construct

import derive

# Stream mappings: a poison record is retried this often, then sent aside (never blocks a shard
# for the 24 h a stream keeps records).
STREAM_MAX_RETRIES = 5
STREAM_MAX_RECORD_AGE_SECONDS = 3600
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
# The API shares DynamoDB and Stripe with everything else: cap it so a flood cannot starve the
# event handlers or run up Stripe's rate limit. Event handlers get a small cap each (per shard
# concurrency is 1 anyway; queue consumers protect SES / Stripe).
RESERVED_CONCURRENCY = {"api": 50, "sqs": 5}
TABLE_DATA_ACTIONS = [
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
    "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
]
LAMBDA_ARCHITECTURE = "arm64"
# Safe change: every function is published as a version behind this alias, and API Gateway, the
# event source mappings and the schedule invoke the alias, never $LATEST. A deploy shifts the alias
# through CodeDeploy (SAM ``AutoPublishAlias`` + ``DeploymentPreference``): prod sends 10 % of calls to
# the new version for 5 minutes and rolls back by itself if one of the function's alarms fires;
# dev shifts at once. CodeDeploy costs nothing for Lambda.
LIVE_ALIAS = "live"
DEPLOYMENT_TYPE = {"prod": "Canary10Percent5Minutes", "dev": "AllAtOnce"}
# Prod lands in the EU only: customers' personal and payment data stay under EU law, and the
# alarms, logs and backups sit in the same region as the data.
ALLOWED_REGIONS = ("eu-central-1", "eu-central-2")

# Time budgets. API Gateway ends an integration after 29 s, so the API function stops first; the
# others are sized to a whole batch of their slowest outbound calls (Stripe: 5 s x 2 tries = 10 s a
# call, see chalicelib/adapters/stripe_gateway.py; push and partner webhooks: 5 s) with room to spare.
# tests/infra recomputes these bounds from the code's own constants.
API_GATEWAY_TIMEOUT_SECONDS = 29
TIMEOUT_BY_KIND = {"api": API_GATEWAY_TIMEOUT_SECONDS - 1, "dynamodb": 120, "sqs": 120, "schedule": 300, "pure": 60}
# Duration above this share of the timeout is a near-timeout (alarmed on the payment paths).
NEAR_TIMEOUT_SHARE = 0.8
# Stage throttling: overload is answered 429 by API Gateway before the API function's reserved
# concurrency is exhausted (past that Lambda throttles and callers get 500s). Burst <= reserved.
STAGE_THROTTLE = {"prod": {"rate": 100, "burst": 50}, "dev": {"rate": 20, "burst": 10}}
# CloudFront sends this header with every request to the API; the API stage's WAF refuses requests
# without it, so the execute-api URL cannot be used to go around CloudFront's WAF. The value is the
# stack's own UUID (known to CloudFormation, not to the public, never in the repository).
ORIGIN_HEADER = "x-crowdfix-origin"
_DDB_TYPES = {"S": ddb.AttributeType.STRING, "N": ddb.AttributeType.NUMBER, "B": ddb.AttributeType.BINARY}
_PROJECTIONS = {"ALL": ddb.ProjectionType.ALL, "KEYS_ONLY": ddb.ProjectionType.KEYS_ONLY,
                "INCLUDE": ddb.ProjectionType.INCLUDE}

# The site's Content-Security-Policy (chalicelib/domain/headers.py: our origin and Stripe.js as
# Stripe documents it) is written by a CloudFront Function, with frame-ancestors per tenant: the
# origins a tenant registered for its widget, 'self' for everything else (infra/frame_policy.py).

# SPA fallback without distribution-wide error pages (those would also rewrite the API's 403/404):
# a path without a file extension is an app route and gets index.html.
SPA_REWRITE = """function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith('/') || uri.lastIndexOf('.') < uri.lastIndexOf('/')) {
    request.uri = '/index.html';
  }
  return request;
}"""


def _checkov_skip(resource: cdk.CfnResource, check_id: str, comment: str) -> None:
    """A reviewed checkov skip on one resource (infra/gates.py: the ones for all resources)."""
    meta = resource.get_metadata("checkov") or {"skip": []}
    meta["skip"].append({"id": check_id, "comment": comment})
    resource.add_metadata("checkov", meta)


def _metric_name(alarm: cw.Alarm) -> str | None:
    metric = alarm.metric
    return getattr(metric, "metric_name", None)


def function_timeout(kind: str) -> int:
    return TIMEOUT_BY_KIND[kind]


def _attr(key):
    return ddb.Attribute(name=key[0], type=_DDB_TYPES[key[1]]) if key else None


class CrowdfixStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, domain: str | None = None,
                 certificate_arn: str | None = None, alarm_email: str | None = None,
                 per_function_alarms: bool = False, cdn_web_acl_arn: str | None = None, **kwargs):
        region = os.environ["AWS_DEFAULT_REGION"]
        if region not in ALLOWED_REGIONS:
            raise ValueError(f"crowdfix deploys to {' or '.join(ALLOWED_REGIONS)} only (EU data residency), "
                             f"not {region}: set AWS_DEFAULT_REGION=eu-central-1")
        if stage == "prod" and not alarm_email:
            raise ValueError("prod needs someone to receive its alarms: set ALARM_EMAIL (make deploy) or "
                             "-c alarm_email=ops@example.com (synth)")
        super().__init__(scope, construct_id, termination_protection=stage == "prod", **kwargs)
        prod = stage == "prod"
        retain = cdk.RemovalPolicy.RETAIN if prod else cdk.RemovalPolicy.DESTROY
        self.stage_name_ = stage
        self.domain_ = domain
        app = derive.load_code(stage, region)
        table_specs = derive.tables()
        queue_infos, failure_info = derive.queues()
        fns = derive.functions(app)
        derive.assign_access(fns, table_specs, queue_infos + [failure_info])
        env = derive.stage_environment(stage)
        chalice_cfg = derive.stage_config(stage)
        default_timeout = int(chalice_cfg.get("lambda_timeout", 60))

        # ---- tables -------------------------------------------------------------------------
        consumed = {f.stream_table for f in fns if f.stream_table}
        # Prod tables hold customers' and helpers' personal data and the payment ledger: one
        # customer-managed key (rotated yearly, $1 a month) so access can be cut and audited in one
        # place. Dev holds no real data and keeps AWS-owned keys ($0 idle).
        self.data_key = None
        if prod:
            self.data_key = kms.Key(self, "DataKey", enable_key_rotation=True, removal_policy=retain,
                                    description=f"crowdfix {stage}: tables with personal and payment data")
        self.tables: dict[str, ddb.Table] = {}
        for t in table_specs:
            stream = None
            if t.name in consumed or t.stream_view_type:
                stream = ddb.StreamViewType[t.stream_view_type or "NEW_AND_OLD_IMAGES"]
            table = ddb.Table(
                self, f"Table-{t.short}", table_name=t.name,
                partition_key=_attr(t.hash_key), sort_key=_attr(t.range_key),
                billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=ddb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True),
                encryption=ddb.TableEncryption.CUSTOMER_MANAGED if prod else ddb.TableEncryption.AWS_MANAGED,
                encryption_key=self.data_key,
                time_to_live_attribute=t.ttl_attribute,
                stream=stream, deletion_protection=prod, removal_policy=retain)
            if not prod:
                _checkov_skip(table.node.default_child, "CKV_AWS_119",
                              "dev: no real personal data; AWS-owned key keeps dev at $0 idle (prod: CMK)")
            for g in t.gsis:
                table.add_global_secondary_index(
                    index_name=g.name, partition_key=_attr(g.hash_key), sort_key=_attr(g.range_key),
                    projection_type=_PROJECTIONS[g.projection],
                    non_key_attributes=list(g.non_key_attributes) or None)
            self.tables[t.name] = table

        # ---- queues -------------------------------------------------------------------------
        self.timeouts = {f.name: function_timeout(f.kind) for f in fns}
        fn_timeout = {f.queue: self.timeouts[f.name] for f in fns if f.queue}
        self.queues: dict[str, sqs.Queue] = {}
        self.dlqs: dict[str, sqs.Queue] = {}
        for q in queue_infos + [failure_info]:
            dlq = sqs.Queue(self, f"Dlq-{q.short}", queue_name=q.dlq_name,
                            retention_period=cdk.Duration.days(14), removal_policy=retain,
                            encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
            consumer = max(q.consumer_timeout, fn_timeout.get(q.name, 0))
            queue = sqs.Queue(
                self, f"Queue-{q.short}", queue_name=q.name,
                visibility_timeout=cdk.Duration.seconds(max(q.visibility_timeout, 6 * consumer)),
                retention_period=cdk.Duration.days(4 if q is not failure_info else 14), removal_policy=retain,
                encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=q.max_receive_count))
            self.queues[q.name], self.dlqs[q.name] = queue, dlq
        failure_queue = self.queues[failure_info.name]

        # ---- Chalice: functions, layer, REST API ---------------------------------------------
        from chalice.cdk import Chalice

        lambda_functions = {}
        for f in fns:
            per_fn = dict(chalice_cfg.get("lambda_functions", {}).get(f.name, {}))
            per_fn.update({"lambda_timeout": self.timeouts[f.name], "manage_iam_role": False,
                           "iam_role_arn": f"arn:aws:iam::111111111111:role/set-by-infra-{f.name}"})
            lambda_functions[f.name] = per_fn
        extra_env = {}
        for t in table_specs:
            if self.tables[t.name].table_stream_arn:
                extra_env[f"CROWDFIX_STREAM_ARN_{t.short.upper().replace('-', '_')}"] = None  # set below
        secrets = sorted({s for f in fns for s in f.secrets})
        for s in secrets:
            extra_env[f"CROWDFIX_{s}_PARAM"] = derive.secret_param(stage, s, env)
        # Amazon Location place index for geocoding (chalicelib/adapters/geocoding.py); "Storage":
        # the coordinates are kept on bookings and helper profiles, which "SingleUse" forbids.
        # helper photos (chalicelib/adapters/photos.py): private, read only through presigned URLs
        self.photos = None
        if any("s3:photos" in derive.grants(f) for f in fns):
            self.photos = s3.Bucket(self, "Photos", block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                                    encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True, versioned=True,
                                    lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(7))],
                                    removal_policy=retain)
            _checkov_skip(self.photos.node.default_child, "CKV_AWS_18",
                          "helper photos are only read through 15-minute presigned URLs the API signs per viewer")
            extra_env["CROWDFIX_PHOTOS_BUCKET"] = None  # set below (a token, as the stream ARNs)
        self.place_index = None
        if any("geo:place-index" in derive.grants(f) for f in fns):
            self.place_index = location.CfnPlaceIndex(
                self, "Places", index_name=f"{derive.stage_environment(stage).get('CROWDFIX_RESOURCE_PREFIX', 'crowdfix-' + stage)}-places",
                data_source="Esri", description=f"crowdfix {stage} geocoding",
                data_source_configuration=location.CfnPlaceIndex.DataSourceConfigurationProperty(
                    intended_use="Storage"))
            extra_env["CROWDFIX_PLACE_INDEX"] = self.place_index.index_name
        # Stripe's publishable keys are public (they only let a browser turn a card into a
        # PaymentMethod): plain SSM String parameters the preflight sets or keeps, resolved by
        # CloudFormation at deploy (a dynamic reference); without them the web app's card entry is off
        for name in derive.PUBLIC_CONFIG:
            extra_env[f"CROWDFIX_{name}"] = "{{resolve:ssm:%s}}" % derive.secret_param(stage, name, env)
        if domain:
            extra_env["CROWDFIX_PUBLIC_BASE_URL"] = f"https://{domain}"
            extra_env["CROWDFIX_MAIL_FROM"] = f"hello@{domain}"
        stage_cfg = {
            "api_gateway_stage": chalice_cfg.get("api_gateway_stage", "api"),
            "lambda_memory_size": chalice_cfg.get("lambda_memory_size", 1024),
            "lambda_timeout": default_timeout,
            "environment_variables": {**env, **{k: v for k, v in extra_env.items() if v is not None}},
            "manage_iam_role": False,
            "iam_role_arn": "arn:aws:iam::111111111111:role/set-by-infra",
            "automatic_layer": chalice_cfg.get("automatic_layer", True),
            # Graviton: 20 % less per GB-s. Every native dependency (pydantic-core, h3, cryptography,
            # aiohttp, ...) ships aarch64 wheels, which Chalice picks for arm64; tests/infra checks
            # that every shared object in the packages is an aarch64 build.
            "lambda_architecture": LAMBDA_ARCHITECTURE,
            "lambda_functions": lambda_functions,
        }
        self.chalice = Chalice(self, "Api", source_dir=str(derive.ROOT), stage_config=stage_cfg)

        # ---- per function: role, log group, env, event source mapping ------------------------
        self.alarm_topic = sns.Topic(self, "Alarms", display_name=f"crowdfix {stage} alarms")
        if alarm_email:
            self.alarm_topic.add_subscription(subs.EmailSubscription(alarm_email))
        alarm_action = cw_actions.SnsAction(self.alarm_topic)
        self.roles: dict[str, iam.Role] = {}
        self.mappings: dict[str, lambda_.CfnEventSourceMapping] = {}
        widgets: list[cw.IWidget] = []
        for f in fns:
            cfn_fn = self.chalice.get_resource(f.logical_id)
            # Chalice's CDK construct applies stage_config to every function alike: set each
            # function's own memory from .chalice/config.json (API 1024 MB, event handlers 512 MB)
            per_fn_cfg = chalice_cfg.get("lambda_functions", {}).get(f.name, {})
            cfn_fn.add_property_override("MemorySize", int(per_fn_cfg.get(
                "lambda_memory_size", chalice_cfg.get("lambda_memory_size", 1024))))
            cfn_fn.add_property_override("Timeout", self.timeouts[f.name])  # same story: per function
            log_group = logs.LogGroup(self, f"Logs-{f.logical_id}", retention=LOG_RETENTION,
                                      removal_policy=retain)
            role = iam.Role(self, f"Role-{f.logical_id}",
                            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                            description=f"crowdfix {stage} {f.name}: only what its code reaches")
            role.add_to_policy(iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                                   resources=[log_group.log_group_arn]))
            if f.tables:  # one statement for all its tables keeps the role's policy small
                role.add_to_policy(iam.PolicyStatement(
                    actions=TABLE_DATA_ACTIONS,
                    resources=[arn for name in sorted(f.tables) for arn in
                               (self.tables[name].table_arn, f"{self.tables[name].table_arn}/index/*")]))
            for name in sorted(f.queues_send):
                role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage", "sqs:GetQueueUrl"],
                                                       resources=[self.queues[name].queue_arn]))
            dlq_by_name = {q.dlq_name: self.dlqs[q.name] for q in queue_infos}
            for name in sorted(f.dlqs_send):
                role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage", "sqs:GetQueueUrl"],
                                                       resources=[dlq_by_name[name].queue_arn]))
            for s in sorted(f.secrets):
                param = derive.secret_param(stage, s, env)
                role.add_to_policy(iam.PolicyStatement(
                    actions=["ssm:GetParameter"],
                    resources=[f"arn:{self.partition}:ssm:{self.region}:{self.account}:parameter{param}"]))
            if f.secrets:
                role.add_to_policy(iam.PolicyStatement(
                    actions=["kms:Decrypt"], resources=["*"],
                    conditions={"StringEquals": {"kms:ViaService": f"ssm.{self.region}.amazonaws.com"}}))
            self._adapter_grants(role, f)
            if f.tables and self.data_key is not None:
                # tables (and their streams) are encrypted with the data key
                role.add_to_policy(iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*",
                             "kms:DescribeKey"], resources=[self.data_key.key_arn]))
            role.add_to_policy(iam.PolicyStatement(  # X-Ray takes no resource ARNs
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]))
            self.roles[f.name] = role
            cfn_fn.add_override("Properties.Role", role.role_arn)
            cfn_fn.add_override("Properties.LoggingConfig", {"LogGroup": log_group.log_group_name,
                                                             "LogFormat": "Text"})
            cfn_fn.add_override("Properties.Tracing", "Active")
            if f.kind == "api":
                # CloudFront's origin token: the API trusts CloudFront-Viewer-Address only with it, and
                # signs the widget's frame grants with it (chalicelib/domain/headers.py)
                cfn_fn.add_override("Properties.Environment.Variables.CROWDFIX_CLOUDFRONT_ORIGIN_TOKEN",
                                    cdk.Fn.select(2, cdk.Fn.split("/", self.stack_id)))
            if f.kind == "schedule":
                # invoked asynchronously: after Lambda's two retries the event goes to the failure
                # store (alarmed), so a failed hold renewal is seen
                cfn_fn.add_override("Properties.DeadLetterQueue", {"Type": "SQS", "TargetArn": failure_queue.queue_arn})
                failure_queue.grant_send_messages(role)
            else:
                _checkov_skip(cfn_fn, "CKV_AWS_116", "invoked synchronously (API Gateway, event source "
                              "mapping): failures go to the mapping's on-failure queue or the queue's DLQ")
            if not (f.kind in RESERVED_CONCURRENCY and prod):
                _checkov_skip(cfn_fn, "CKV_AWS_115", "streams run one invocation per shard and the "
                              "schedule one an hour; reserved concurrency is for the API and queue "
                              "consumers in prod (new accounts have 10 in all)")
            for t in table_specs:
                arn = self.tables[t.name].table_stream_arn
                if arn:
                    cfn_fn.add_override(
                        f"Properties.Environment.Variables.CROWDFIX_STREAM_ARN_{t.short.upper().replace('-', '_')}",
                        arn)
            if self.photos is not None:
                cfn_fn.add_override("Properties.Environment.Variables.CROWDFIX_PHOTOS_BUCKET", self.photos.bucket_name)
            if f.kind in RESERVED_CONCURRENCY and stage == "prod":
                # reserving needs account concurrency headroom (new accounts have 10): prod only
                cfn_fn.add_override("Properties.ReservedConcurrentExecutions", RESERVED_CONCURRENCY[f.kind])
            fn_name = cfn_fn.ref
            cfn_fn.add_override("Properties.AutoPublishAlias", LIVE_ALIAS)
            fn_alias = cdk.Fn.ref(f"{f.logical_id}.Alias")  # SAM's alias of the function (its ARN)

            if f.kind == "dynamodb":
                cfn_fn.add_deletion_override(f"Properties.Events.{f.logical_id}DynamodbEventSource")
                table = self.tables[f.stream_table]
                role.add_to_policy(iam.PolicyStatement(
                    actions=["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                             "dynamodb:ListStreams"], resources=[table.table_stream_arn]))
                failure_queue.grant_send_messages(role)
                mapping = lambda_.CfnEventSourceMapping(
                    self, f"Esm-{f.logical_id}", function_name=fn_alias,
                    event_source_arn=table.table_stream_arn, batch_size=f.batch_size,
                    starting_position=f.starting_position,
                    maximum_batching_window_in_seconds=f.batching_window,
                    function_response_types=["ReportBatchItemFailures"],
                    bisect_batch_on_function_error=True,
                    maximum_retry_attempts=STREAM_MAX_RETRIES,
                    maximum_record_age_in_seconds=STREAM_MAX_RECORD_AGE_SECONDS,
                    destination_config=lambda_.CfnEventSourceMapping.DestinationConfigProperty(
                        on_failure=lambda_.CfnEventSourceMapping.OnFailureProperty(
                            destination=failure_queue.queue_arn)))
            elif f.kind == "sqs":
                cfn_fn.add_deletion_override(f"Properties.Events.{f.logical_id}SqsEventSource")
                queue = self.queues[f.queue]
                queue.grant_consume_messages(role)
                mapping = lambda_.CfnEventSourceMapping(
                    self, f"Esm-{f.logical_id}", function_name=fn_alias, event_source_arn=queue.queue_arn,
                    batch_size=f.batch_size, maximum_batching_window_in_seconds=f.batching_window,
                    function_response_types=["ReportBatchItemFailures"],
                    scaling_config=lambda_.CfnEventSourceMapping.ScalingConfigProperty(
                        maximum_concurrency=RESERVED_CONCURRENCY["sqs"]))
            else:
                mapping = None
            if mapping is not None:
                # the mapping is validated against the role's permissions when created
                mapping.node.add_dependency(role)
                self.mappings[f.name] = mapping

            dims = {"FunctionName": fn_name}
            invocations = cw.Metric(namespace="AWS/Lambda", metric_name="Invocations", dimensions_map=dims,
                                    statistic="Sum", period=cdk.Duration.minutes(5))
            errors = cw.Metric(namespace="AWS/Lambda", metric_name="Errors", dimensions_map=dims,
                               statistic="Sum", period=cdk.Duration.minutes(5))
            throttles = cw.Metric(namespace="AWS/Lambda", metric_name="Throttles", dimensions_map=dims,
                                  statistic="Sum", period=cdk.Duration.minutes(5))
            if per_function_alarms:
                self._lambda_alarms(f"-{f.logical_id}", f.name, errors, invocations, throttles, alarm_action)
            if f.kind == "dynamodb":
                age = cw.Metric(namespace="AWS/Lambda", metric_name="IteratorAge", dimensions_map=dims,
                                statistic="Maximum", period=cdk.Duration.minutes(5))
                cw.Alarm(self, f"IteratorAge-{f.logical_id}", metric=age, threshold=60_000,
                         evaluation_periods=3, treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                         alarm_description=f"{f.name} lags its stream by more than a minute"
                         ).add_alarm_action(alarm_action)
            widgets.append(cw.GraphWidget(title=f"{f.name}", left=[invocations, errors, throttles],
                                          width=8))
        if not per_function_alarms:
            # Alarms bill per metric ($0.10 a month each; the first 10 are free). Lambda also
            # publishes Errors/Invocations/Throttles for all functions of the account and region
            # together; in the account of its own that a stage should have, that is this stack.
            # The dashboard keeps the per-function graphs for finding which one.
            self._lambda_alarms("", "a function", *(cw.Metric(namespace="AWS/Lambda", metric_name=m,
                                                                statistic="Sum", period=cdk.Duration.minutes(5))
                                                      for m in ("Errors", "Invocations", "Throttles")),
                                alarm_action)

        for name, queue in self.queues.items():
            dlq = self.dlqs[name]
            if name == failure_info.name:
                # no consumer: a record here is a stream record a handler gave up on (nothing can
                # reach its own DLQ, so that one has no alarm)
                cw.Alarm(self, "StreamFailuresNotEmpty",
                         metric=queue.metric_approximate_number_of_messages_visible(
                             period=cdk.Duration.minutes(1), statistic="Maximum"),
                         threshold=0, evaluation_periods=1,
                         comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                         treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                         alarm_description="a stream record was sent aside after its retries"
                         ).add_alarm_action(alarm_action)
            else:
                cw.Alarm(self, f"DlqNotEmpty-{dlq.node.id}",
                         metric=dlq.metric_approximate_number_of_messages_visible(
                             period=cdk.Duration.minutes(1), statistic="Maximum"),
                         threshold=0, evaluation_periods=1,
                         comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                         treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                         alarm_description=f"a message is in {name}-dlq").add_alarm_action(alarm_action)
                cw.Alarm(self, f"OldestMessage-{queue.node.id}",
                         metric=queue.metric_approximate_age_of_oldest_message(
                             period=cdk.Duration.minutes(5), statistic="Maximum"),
                         threshold=1200, evaluation_periods=2,
                         treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                         alarm_description=f"{name}: a message waits for more than 20 minutes (delays are <= 15)"
                         ).add_alarm_action(alarm_action)
            widgets.append(cw.GraphWidget(
                title=name, width=8,
                left=[queue.metric_approximate_number_of_messages_visible(),
                      dlq.metric_approximate_number_of_messages_visible()],
                right=[queue.metric_approximate_age_of_oldest_message()]))
        for name, table in self.tables.items():
            if name in consumed:
                # the busiest tables (their streams drive the event handlers): the dashboard stays
                # within the 50 metrics a free dashboard may show (infra tests count them)
                widgets.append(cw.GraphWidget(
                    title=name, width=8,
                    left=[table.metric_consumed_write_capacity_units()],
                    right=[table.metric("ThrottledRequests", statistic="Sum")]))

        # ---- the API's stage: throttling (429 before Lambda throttles), access logs, tracing ----
        api_stage = stage_cfg["api_gateway_stage"]
        rest_api = self.chalice.get_resource("RestAPI")
        self.api_name = f"crowdfix-{stage}"
        api_logs = logs.LogGroup(self, "ApiAccessLogs", retention=LOG_RETENTION, removal_policy=retain)
        throttle = STAGE_THROTTLE["prod" if prod else "dev"]
        # the name is the ApiName dimension of the API's metrics: set it in both places it can come from
        rest_api.add_override("Properties.Name", self.api_name)
        rest_api.add_override("Properties.DefinitionBody.info.title", self.api_name)
        # behind our own CloudFront: an edge-optimized API would add a second CloudFront hop
        rest_api.add_override("Properties.EndpointConfiguration", "REGIONAL")
        rest_api.add_override("Properties.TracingEnabled", True)
        rest_api.add_override("Properties.MethodSettings", [{
            # no MetricsEnabled: per-method metrics bill as custom metrics (routes x 7); the API's
            # own 5XXError / Latency (ApiName + Stage) are free and what the alarms use
            "ResourcePath": "/*", "HttpMethod": "*",
            "ThrottlingRateLimit": throttle["rate"], "ThrottlingBurstLimit": throttle["burst"]}])
        rest_api.add_override("Properties.AccessLogSetting", {
            "DestinationArn": api_logs.log_group_arn,
            "Format": json.dumps({k: f"$context.{v}" for k, v in (
                ("requestId", "requestId"), ("ip", "identity.sourceIp"), ("time", "requestTimeEpoch"),
                ("method", "httpMethod"), ("path", "resourcePath"), ("status", "status"),
                ("latency", "responseLatency"), ("integrationLatency", "integrationLatency"),
                ("integrationError", "integrationErrorMessage"), ("waf", "wafResponseCode"),
                ("length", "responseLength"))})})
        # API Gateway writes access logs with the account's CloudWatch role (one per account/region)
        apigw_role = iam.Role(self, "ApiGatewayLogsRole",
                              assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
                              managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                                  "service-role/AmazonAPIGatewayPushToCloudWatchLogs")])
        from aws_cdk import aws_apigateway as apigw

        account_settings = apigw.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=apigw_role.role_arn)
        rest_api.node.add_dependency(account_settings)

        # ---- WAF on the API stage: only requests that came through CloudFront (whose own web ACL,
        # infra/edge.py, rate-limits per client address). Prod only ($5 + $1 per rule a month).
        origin_secret = cdk.Fn.select(2, cdk.Fn.split("/", self.stack_id))
        self.web_acl = None
        if prod:
            self.web_acl = self._origin_acl(stage, origin_secret)
            assoc = wafv2.CfnWebACLAssociation(
                self, "ApiWaf", web_acl_arn=self.web_acl.attr_arn,
                resource_arn=f"arn:{self.partition}:apigateway:{self.region}::/restapis/{rest_api.ref}/stages/{api_stage}")
            assoc.add_override("DependsOn", [f"RestAPI{api_stage}Stage"])

        # ---- alarms that see failures the Lambda error metrics do not (prod) ------------------
        self.rollback_alarms: dict[str, list[cw.Alarm]] = {f.name: [] for f in fns}
        if prod:
            self._failure_alarms(fns, api_stage, alarm_action)

        # ---- safe change: API Gateway invokes the alias; deployments shift it gradually --------
        self._invoke_aliases(rest_api)
        self._gradual_deployment(fns, stage, alarm_action)

        # ---- static site: private bucket, CloudFront with OAC, SPA fallback, security headers ---
        # Access logs of the site bucket and of CloudFront, kept 90 days. CloudFront's standard logs
        # need ACLs on the bucket (BucketOwnerPreferred).
        access_logs = s3.Bucket(self, "AccessLogs", block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                                encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
                                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
                                versioned=True, removal_policy=retain,
                                lifecycle_rules=[s3.LifecycleRule(expiration=cdk.Duration.days(90),
                                                                  noncurrent_version_expiration=cdk.Duration.days(7))])
        _checkov_skip(access_logs.node.default_child, "CKV_AWS_18",
                      "the access-log bucket itself: logging it into itself would loop")
        # versioned: deploys `aws s3 sync --delete`, so a bad deploy is undone from the old versions
        site = s3.Bucket(self, "Site", block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                         encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True, versioned=True,
                         server_access_logs_bucket=access_logs, server_access_logs_prefix="site/",
                         lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=cdk.Duration.days(30))],
                         removal_policy=retain, auto_delete_objects=False)
        headers = cloudfront.ResponseHeadersPolicy(
            self, "SecurityHeaders",
            # no CSP here: the site's comes from the FramePolicy function, the API's from the API
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.days(365), include_subdomains=True,
                    preload=True, override=True),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True),
                xss_protection=cloudfront.ResponseHeadersXSSProtection(protection=True, mode_block=True,
                                                                       override=True)))
        spa = cloudfront.Function(self, "SpaFallback", code=cloudfront.FunctionCode.from_inline(SPA_REWRITE),
                                  runtime=cloudfront.FunctionRuntime.JS_2_0)
        import frame_policy
        frames = cloudfront.Function(self, "FramePolicy", code=frame_policy.function_code(
            origin_secret, None if self.photos is None else self.photos.bucket_regional_domain_name),
                                     runtime=cloudfront.FunctionRuntime.JS_2_0)
        rest_api_id = rest_api.ref
        api_origin = origins.HttpOrigin(f"{rest_api_id}.execute-api.{self.region}.amazonaws.com",
                                        protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                                        custom_headers={ORIGIN_HEADER: origin_secret})
        cert = None
        if certificate_arn:
            from aws_cdk import aws_certificatemanager as acm
            cert = acm.Certificate.from_certificate_arn(self, "Cert", certificate_arn)
        self.distribution = cloudfront.Distribution(
            self, "Cdn", default_root_object="index.html",
            domain_names=[domain] if (domain and cert) else None, certificate=cert,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True, log_bucket=access_logs, log_file_prefix="cdn/",
            web_acl_id=cdn_web_acl_arn,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(site),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                function_associations=[cloudfront.FunctionAssociation(
                    function=spa, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST),
                    cloudfront.FunctionAssociation(
                        function=frames, event_type=cloudfront.FunctionEventType.VIEWER_RESPONSE)]),
            additional_behaviors={f"/{api_stage}/*": cloudfront.BehaviorOptions(
                origin=api_origin, viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                response_headers_policy=headers)})

        dist_cfn = self.distribution.node.default_child
        if not cdn_web_acl_arn:
            _checkov_skip(dist_cfn, "CKV_AWS_68", "dev: no WAF ($5 + $1 per rule a month); prod's "
                          "distribution has the web ACL of infra/edge.py")
        if not cert:
            _checkov_skip(dist_cfn, "CKV_AWS_174", "no certificate_arn: the default *.cloudfront.net "
                          "certificate, whose TLS policy CloudFront sets; with a certificate: TLSv1.2_2021")

        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"crowdfix-{stage}")
        dashboard.add_widgets(*widgets)

        # every alarm also says when it is over
        for c in self.node.find_all():
            if isinstance(c, cw.Alarm):
                c.add_ok_action(alarm_action)

        cdk.CfnOutput(self, "SiteBucket", value=site.bucket_name)
        cdk.CfnOutput(self, "DistributionId", value=self.distribution.distribution_id)
        cdk.CfnOutput(self, "Url", value=f"https://{domain if (domain and cert) else self.distribution.domain_name}")
        # the API is published through CloudFront only (prod's stage WAF refuses anything else)
        cdk.CfnOutput(self, "ApiUrl",
                      value=f"https://{domain if (domain and cert) else self.distribution.domain_name}/{api_stage}/")
        cdk.CfnOutput(self, "AlarmTopic", value=self.alarm_topic.topic_arn)
        # SES sends only from a verified identity: the mail domain with Easy DKIM. The three CNAME
        # records to publish in the domain's DNS are outputs (docs/deployment.md, go-live).
        self.mail_identity = None
        if domain and any("ses:send" in derive.grants(f) for f in fns):
            self.mail_identity = ses.EmailIdentity(self, "MailDomain", identity=ses.Identity.domain(domain))
            self.mail_identity.apply_removal_policy(retain)  # a new identity means new DKIM records
            for i in (1, 2, 3):
                cdk.CfnOutput(self, f"DkimRecord{i}", value=cdk.Fn.join(" CNAME ", [
                    getattr(self.mail_identity, f"dkim_dns_token_name{i}"),
                    getattr(self.mail_identity, f"dkim_dns_token_value{i}")]))
        self.functions = fns
        self.table_specs = table_specs
        self.queue_infos = queue_infos
        self.failure_info = failure_info

    def _adapter_grants(self, role: iam.Role, f) -> None:
        """The IAM statements for the adapters a function reaches (``derive.ADAPTER_NEEDS``)."""
        need = derive.grants(f)
        if "ses:send" in need:
            role.add_to_policy(iam.PolicyStatement(
                actions=["ses:SendEmail", "ses:SendRawEmail"], resources=["*"],
                conditions={"StringLike": {"ses:FromAddress": f"*@{self.domain_ or '*'}"}}))
        if "sns:sms" in need:
            # SMS to a phone number has no resource ARN, so the Allow is on "*"; the Deny keeps the
            # role from publishing to any topic. Both in a policy of their own: in the role's default
            # policy, CDK may move them to an overflow policy once it grows, away from the reviewed skip
            sms = iam.Policy(self, f"{role.node.id}SmsPolicy", statements=[
                iam.PolicyStatement(actions=["sns:Publish"], resources=["*"]),
                iam.PolicyStatement(effect=iam.Effect.DENY, actions=["sns:Publish"],
                                    resources=[f"arn:{self.partition}:sns:*:*:*"])])
            sms.attach_to_role(role)
            _checkov_skip(sms.node.default_child, "CKV_AWS_111",
                          "sns:Publish on * is how SMS to a phone number is granted (no resource ARN); "
                          "a Deny on every topic ARN in the same policy keeps it to SMS")
        if "geo:place-index" in need:
            role.add_to_policy(iam.PolicyStatement(
                actions=["geo:SearchPlaceIndexForText", "geo:SearchPlaceIndexForPosition",
                         "geo:SearchPlaceIndexForSuggestions"],
                resources=[self.place_index.attr_arn]))
        if "s3:photos" in need:  # store a helper's photo, sign GET URLs for it; nothing else
            role.add_to_policy(iam.PolicyStatement(actions=["s3:PutObject", "s3:GetObject"],
                                                   resources=[self.photos.arn_for_objects("helpers/*")]))
        unknown = need - {"ses:send", "sns:sms", "geo:place-index", "s3:photos"}
        if unknown:
            raise NotImplementedError(f"{f.name}: no IAM statement for {sorted(unknown)} in infra/stack.py")

    def _origin_acl(self, stage: str, origin_secret: str) -> wafv2.CfnWebACL:
        """Block every request to the API stage that lacks CloudFront's origin header."""
        W = wafv2.CfnWebACL
        from_cdn = W.StatementProperty(byte_match_statement=W.ByteMatchStatementProperty(
            field_to_match=W.FieldToMatchProperty(single_header={"Name": ORIGIN_HEADER}),
            positional_constraint="EXACTLY", search_string=origin_secret,
            text_transformations=[W.TextTransformationProperty(priority=0, type="NONE")]))

        def visibility(name):
            return W.VisibilityConfigProperty(cloud_watch_metrics_enabled=True, metric_name=name,
                                              sampled_requests_enabled=True)

        rule = W.RuleProperty(
            name="only-through-cloudfront", priority=0, action=W.RuleActionProperty(block={}),
            statement=W.StatementProperty(not_statement=W.NotStatementProperty(statement=from_cdn)),
            visibility_config=visibility("only-through-cloudfront"))
        acl = W(self, "ApiWebAcl", name=f"crowdfix-{stage}-api", scope="REGIONAL",
                default_action=W.DefaultActionProperty(allow={}),
                visibility_config=visibility(f"crowdfix-{stage}-api"), rules=[rule])
        _checkov_skip(acl, "CKV_AWS_192", "lets through only requests that passed CloudFront's web ACL "
                      "(infra/edge.py), which runs the known-bad-inputs rules (Log4j included)")
        return acl

    def _failure_alarms(self, fns, api_stage: str, action) -> None:
        """API 5xx and latency (Chalice answers an exception with a 500 from a *successful*
        invocation, so Lambda's Errors never see it), errors and near-timeouts of the functions on
        the payment path, DynamoDB throttles, SES reputation."""
        five_min = cdk.Duration.minutes(5)
        api_dims = {"ApiName": self.api_name, "Stage": api_stage}
        alarms = [
            cw.Alarm(self, "Api5xx", metric=cw.Metric(namespace="AWS/ApiGateway", metric_name="5XXError",
                                                      dimensions_map=api_dims, statistic="Sum", period=five_min),
                     threshold=5, evaluation_periods=1, comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                     alarm_description="the API answered 5 or more 5xx in 5 minutes"),
            cw.Alarm(self, "ApiLatency", metric=cw.Metric(namespace="AWS/ApiGateway", metric_name="Latency",
                                                          dimensions_map=api_dims, statistic="p95", period=five_min),
                     threshold=3000, evaluation_periods=3,
                     comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                     alarm_description="the API's p95 latency is above 3 s for 15 minutes"),
        ]
        api_fn = next((f for f in fns if f.kind == "api"), None)
        if api_fn is not None:
            self.rollback_alarms[api_fn.name] += alarms[:2]
        for f in fns:
            if f.kind == "api" or "chalicelib.adapters.stripe_gateway" not in f.adapters:
                continue
            fn_name = self.chalice.get_resource(f.logical_id).ref
            dims = {"FunctionName": fn_name}
            alarms.append(cw.Alarm(
                self, f"PaymentErrors-{f.logical_id}", metric=cw.Metric(
                    namespace="AWS/Lambda", metric_name="Errors", dimensions_map=dims, statistic="Sum", period=five_min),
                threshold=1, evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                alarm_description=f"{f.name} (payment path) failed an invocation"))
            alarms.append(cw.Alarm(
                self, f"NearTimeout-{f.logical_id}", metric=cw.Metric(
                    namespace="AWS/Lambda", metric_name="Duration", dimensions_map=dims, statistic="Maximum",
                    period=five_min),
                threshold=int(NEAR_TIMEOUT_SHARE * self.timeouts[f.name] * 1000), evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                alarm_description=f"{f.name} (payment path) ran for {int(NEAR_TIMEOUT_SHARE * 100)}% of its "
                                  f"{self.timeouts[f.name]} s timeout"))
            self.rollback_alarms[f.name] += alarms[-2:]
        # a metric-math alarm takes at most 10 metrics: the tables in groups of five (read + write)
        names = sorted(self.tables)
        for i in range(0, len(names), 5):
            group = names[i:i + 5]
            using = {}
            for j, name in enumerate(group):
                for kind in ("Read", "Write"):
                    using[f"{kind[0].lower()}{j}"] = self.tables[name].metric(
                        f"{kind}ThrottleEvents", statistic="Sum", period=five_min)
            alarms.append(cw.Alarm(
                self, f"DynamoThrottles{i // 5}", metric=cw.MathExpression(
                    expression="SUM(METRICS())", using_metrics=using, period=five_min,
                    label=f"throttled requests: {', '.join(group)}"),
                threshold=0, evaluation_periods=1, comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                alarm_description=f"DynamoDB throttled requests on {', '.join(group)}"))
        # the failure store: work that used up its retries (services/failures.py emits UnitsFailed,
        # dimensionless, through EMF); ops list and replay it (GET /v1/ops/failures)
        alarms.append(cw.Alarm(
            self, "UnitsFailed", metric=cw.Metric(namespace="crowdfix", metric_name="UnitsFailed", statistic="Sum",
                                                  period=five_min),
            threshold=1, evaluation_periods=1, comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            alarm_description="work used up its retries and is in the failure store: GET /v1/ops/failures, "
                              "then POST /v1/ops/failures/{id}/replay once the cause is fixed"))
        # SES reviews an account at 5 % bounces / 0.1 % complaints and pauses sending at 10 % / 0.5 %
        for name, metric, threshold in (("SesBounceRate", "Reputation.BounceRate", 0.05),
                                        ("SesComplaintRate", "Reputation.ComplaintRate", 0.001)):
            alarms.append(cw.Alarm(
                self, name, metric=cw.Metric(namespace="AWS/SES", metric_name=metric, statistic="Maximum",
                                             period=cdk.Duration.minutes(15)),
                threshold=threshold, evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                alarm_description=f"SES {metric} reached {threshold:.1%}, where SES starts a review"))
        for a in alarms:
            a.node.default_child.treat_missing_data = "notBreaching"  # idle is not a failure
            a.add_alarm_action(action)

    def _invoke_aliases(self, rest_api) -> None:
        """Chalice's REST API integrations and its invoke permission name the unqualified API
        function ($LATEST): point both at the alias."""
        sam = json.loads((Path(self.chalice._sam_package_dir) / "sam.json").read_text())
        api = sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
        latest, alias = "${APIHandler.Arn}", "${APIHandler.Alias}"
        for path, ops in api.get("paths", {}).items():
            for method, op in ops.items():
                uri = (op.get("x-amazon-apigateway-integration") or {}).get("uri") if isinstance(op, dict) else None
                if isinstance(uri, dict) and latest in str(uri.get("Fn::Sub", "")):
                    key = path.replace(".", "\\.")
                    rest_api.add_override(f"Properties.DefinitionBody.paths.{key}.{method}.x-amazon-apigateway-integration.uri",
                                          {"Fn::Sub": uri["Fn::Sub"].replace(latest, alias)})
        for name, res in sam["Resources"].items():
            if res["Type"] == "AWS::Lambda::Permission" and res["Properties"].get("FunctionName") == {"Ref": "APIHandler"}:
                self.chalice.get_resource(name).add_override("Properties.FunctionName", {"Ref": "APIHandler.Alias"})

    def _gradual_deployment(self, fns, stage: str, action) -> None:
        """Each function's ``DeploymentPreference``: canary with rollback on its alarms in prod
        (errors of every function; API 5xx and latency; near-timeouts on the payment path)."""
        prod = stage == "prod"
        for f in fns:
            cfn_fn = self.chalice.get_resource(f.logical_id)
            alarms = self.rollback_alarms[f.name]
            if prod and not any(_metric_name(a) == "Errors" for a in alarms):
                errors = cw.Alarm(
                    self, f"DeployErrors-{f.logical_id}", metric=cw.Metric(
                        namespace="AWS/Lambda", metric_name="Errors", dimensions_map={"FunctionName": cfn_fn.ref},
                        statistic="Sum", period=cdk.Duration.minutes(1)),
                    threshold=1, evaluation_periods=1,
                    comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                    alarm_description=f"{f.name} failed an invocation (a deployment in progress rolls back)")
                errors.add_alarm_action(action)
                alarms.append(errors)
            preference = {"Type": DEPLOYMENT_TYPE["prod" if prod else "dev"]}
            if alarms:
                preference["Alarms"] = [a.alarm_name for a in alarms]
            cfn_fn.add_override("Properties.DeploymentPreference", preference)

    def _lambda_alarms(self, suffix: str, who: str, errors, invocations, throttles, action) -> None:
        """Error rate (> 5 % of invocations in 5 minutes) and any throttle."""
        rate = cw.MathExpression(expression="IF(inv > 0, 100 * err / inv, 0)",
                                 using_metrics={"err": errors, "inv": invocations},
                                 label=f"{who} error %", period=cdk.Duration.minutes(5))
        cw.Alarm(self, f"ErrorRate{suffix}", metric=rate, threshold=5, evaluation_periods=1,
                 comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                 treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                 alarm_description=f"{who}: more than 5% of invocations failed").add_alarm_action(action)
        cw.Alarm(self, f"Throttles{suffix}", metric=throttles, threshold=0, evaluation_periods=1,
                 comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                 treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                 alarm_description=f"{who} is throttled").add_alarm_action(action)
