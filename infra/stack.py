"""The crowdfix deployment as one CDK stack, built from what ``derive`` reads in the code.

Chalice (``chalice.cdk.Chalice``) packages the functions, the layer and the REST API. Everything it
cannot express is added here: tables, queues + DLQs, the event source mappings (Chalice's own
DynamoDB/SQS ``Events`` are deleted from its SAM template and re-created as
``AWS::Lambda::EventSourceMapping`` with partial batch responses, bisect, retry cap, record age and
an on-failure destination), one IAM role per function, log groups with retention, the static site
behind CloudFront, alarms and a dashboard.
"""
from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import (
    aws_cloudfront as cloudfront,
    aws_cloudfront_origins as origins,
    aws_cloudwatch as cw,
    aws_cloudwatch_actions as cw_actions,
    aws_dynamodb as ddb,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_s3 as s3,
    aws_sns as sns,
    aws_sns_subscriptions as subs,
    aws_sqs as sqs,
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
_DDB_TYPES = {"S": ddb.AttributeType.STRING, "N": ddb.AttributeType.NUMBER, "B": ddb.AttributeType.BINARY}
_PROJECTIONS = {"ALL": ddb.ProjectionType.ALL, "KEYS_ONLY": ddb.ProjectionType.KEYS_ONLY,
                "INCLUDE": ddb.ProjectionType.INCLUDE}

# Stripe.js (card entry) is the one third party: its script, its card iframes and its API, as Stripe's
# CSP guide lists them; nothing else leaves the site's origin. Partners embed the booking flow with
# the widget (an iframe of this site), so any https page may frame it (as booking widgets such as
# Calendly allow); every action in it still needs several deliberate steps and the card is typed
# into Stripe's own frame.
SECURITY_HEADERS_CSP = ("default-src 'self'; img-src 'self' data:; script-src 'self' https://js.stripe.com; "
                        "style-src 'self'; connect-src 'self' https://api.stripe.com; "
                        "frame-src https://js.stripe.com https://hooks.stripe.com; "
                        "frame-ancestors 'self' https:; base-uri 'self'; form-action 'self'")

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


def _attr(key):
    return ddb.Attribute(name=key[0], type=_DDB_TYPES[key[1]]) if key else None


class CrowdfixStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str, domain: str | None = None,
                 certificate_arn: str | None = None, alarm_email: str | None = None,
                 per_function_alarms: bool = False, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        region = os.environ["AWS_DEFAULT_REGION"]
        self.stage_name_ = stage
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
                encryption=ddb.TableEncryption.AWS_MANAGED,
                time_to_live_attribute=t.ttl_attribute,
                stream=stream, deletion_protection=stage == "prod",
                removal_policy=cdk.RemovalPolicy.RETAIN if stage == "prod" else cdk.RemovalPolicy.DESTROY)
            for g in t.gsis:
                table.add_global_secondary_index(
                    index_name=g.name, partition_key=_attr(g.hash_key), sort_key=_attr(g.range_key),
                    projection_type=_PROJECTIONS[g.projection],
                    non_key_attributes=list(g.non_key_attributes) or None)
            self.tables[t.name] = table

        # ---- queues -------------------------------------------------------------------------
        fn_timeout = {f.queue: int(chalice_cfg.get("lambda_functions", {}).get(f.name, {}).get(
            "lambda_timeout", default_timeout)) for f in fns if f.queue}
        self.queues: dict[str, sqs.Queue] = {}
        self.dlqs: dict[str, sqs.Queue] = {}
        for q in queue_infos + [failure_info]:
            dlq = sqs.Queue(self, f"Dlq-{q.short}", queue_name=q.dlq_name,
                            retention_period=cdk.Duration.days(14),
                            encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
            consumer = max(q.consumer_timeout, fn_timeout.get(q.name, 0))
            queue = sqs.Queue(
                self, f"Queue-{q.short}", queue_name=q.name,
                visibility_timeout=cdk.Duration.seconds(max(q.visibility_timeout, 6 * consumer)),
                retention_period=cdk.Duration.days(4 if q is not failure_info else 14),
                encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=q.max_receive_count))
            self.queues[q.name], self.dlqs[q.name] = queue, dlq
        failure_queue = self.queues[failure_info.name]

        # ---- Chalice: functions, layer, REST API ---------------------------------------------
        from chalice.cdk import Chalice

        lambda_functions = {}
        for f in fns:
            per_fn = dict(chalice_cfg.get("lambda_functions", {}).get(f.name, {}))
            per_fn.update({"manage_iam_role": False,
                           "iam_role_arn": f"arn:aws:iam::111111111111:role/set-by-infra-{f.name}"})
            lambda_functions[f.name] = per_fn
        extra_env = {}
        for t in table_specs:
            if self.tables[t.name].table_stream_arn:
                extra_env[f"CROWDFIX_STREAM_ARN_{t.short.upper().replace('-', '_')}"] = None  # set below
        secrets = sorted({s for f in fns for s in f.secrets})
        for s in secrets:
            extra_env[f"CROWDFIX_{s}_PARAM"] = derive.secret_param(stage, s, env)
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
            log_group = logs.LogGroup(self, f"Logs-{f.logical_id}", retention=LOG_RETENTION,
                                      removal_policy=cdk.RemovalPolicy.DESTROY)
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
            if f.sends_email:
                role.add_to_policy(iam.PolicyStatement(
                    actions=["ses:SendEmail", "ses:SendRawEmail"], resources=["*"],
                    conditions={"StringLike": {"ses:FromAddress": f"*@{domain or '*'}"}}))
            self.roles[f.name] = role
            cfn_fn.add_override("Properties.Role", role.role_arn)
            cfn_fn.add_override("Properties.LoggingConfig", {"LogGroup": log_group.log_group_name,
                                                             "LogFormat": "Text"})
            for t in table_specs:
                arn = self.tables[t.name].table_stream_arn
                if arn:
                    cfn_fn.add_override(
                        f"Properties.Environment.Variables.CROWDFIX_STREAM_ARN_{t.short.upper().replace('-', '_')}",
                        arn)
            if f.kind in RESERVED_CONCURRENCY and stage == "prod":
                # reserving needs account concurrency headroom (new accounts have 10): prod only
                cfn_fn.add_override("Properties.ReservedConcurrentExecutions", RESERVED_CONCURRENCY[f.kind])
            fn_arn = cfn_fn.get_att("Arn").to_string()
            fn_name = cfn_fn.ref

            if f.kind == "dynamodb":
                cfn_fn.add_deletion_override(f"Properties.Events.{f.logical_id}DynamodbEventSource")
                table = self.tables[f.stream_table]
                role.add_to_policy(iam.PolicyStatement(
                    actions=["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                             "dynamodb:ListStreams"], resources=[table.table_stream_arn]))
                failure_queue.grant_send_messages(role)
                mapping = lambda_.CfnEventSourceMapping(
                    self, f"Esm-{f.logical_id}", function_name=fn_name,
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
                    self, f"Esm-{f.logical_id}", function_name=fn_name, event_source_arn=queue.queue_arn,
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

        # ---- static site: private bucket, CloudFront with OAC, SPA fallback, security headers ---
        site = s3.Bucket(self, "Site", block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                         encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
                         removal_policy=cdk.RemovalPolicy.DESTROY, auto_delete_objects=False)
        headers = cloudfront.ResponseHeadersPolicy(
            self, "SecurityHeaders",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=SECURITY_HEADERS_CSP, override=True),
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
        rest_api_id = self.chalice.get_resource("RestAPI").ref
        api_stage = stage_cfg["api_gateway_stage"]
        api_origin = origins.HttpOrigin(f"{rest_api_id}.execute-api.{self.region}.amazonaws.com",
                                        protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY)
        cert = None
        if certificate_arn:
            from aws_cdk import aws_certificatemanager as acm
            cert = acm.Certificate.from_certificate_arn(self, "Cert", certificate_arn)
        self.distribution = cloudfront.Distribution(
            self, "Cdn", default_root_object="index.html",
            domain_names=[domain] if (domain and cert) else None, certificate=cert,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(site),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                function_associations=[cloudfront.FunctionAssociation(
                    function=spa, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST)]),
            additional_behaviors={f"/{api_stage}/*": cloudfront.BehaviorOptions(
                origin=api_origin, viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                response_headers_policy=headers)})

        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"crowdfix-{stage}")
        dashboard.add_widgets(*widgets)

        cdk.CfnOutput(self, "SiteBucket", value=site.bucket_name)
        cdk.CfnOutput(self, "DistributionId", value=self.distribution.distribution_id)
        cdk.CfnOutput(self, "Url", value=f"https://{domain if (domain and cert) else self.distribution.domain_name}")
        cdk.CfnOutput(self, "ApiUrl",
                      value=f"https://{rest_api_id}.execute-api.{self.region}.amazonaws.com/{api_stage}/")
        cdk.CfnOutput(self, "AlarmTopic", value=self.alarm_topic.topic_arn)
        self.functions = fns
        self.table_specs = table_specs
        self.queue_infos = queue_infos
        self.failure_info = failure_info

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
