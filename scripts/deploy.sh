#!/usr/bin/env bash
# Deploy (or update) one crowdfix stage to the AWS account of the current credentials.
#   STRIPE_SECRET_KEY=sk_live_... STRIPE_TEST_SECRET_KEY=sk_test_... STRIPE_WEBHOOK_SECRET=whsec_... \
#     STRIPE_PUBLISHABLE_KEY=pk_live_... STRIPE_TEST_PUBLISHABLE_KEY=pk_test_... DOMAIN=crowdfix.example \
#     ALARM_EMAIL=ops@crowdfix.example make deploy STAGE=prod
# (the Stripe keys are needed on the first deploy only: they are kept in SSM)
# Optional: CERTIFICATE_ARN (ACM, us-east-1, for DOMAIN on CloudFront), SITE_DIR (built SPA),
# CROWDFIX_ACCEPT_SANDBOX=1 (first prod deploy while SES/SMS are not yet out of their sandboxes).
# Secrets go to SSM Parameter Store as SecureString (KMS aws/ssm); the template only names them.
# The whole procedure and the go-live checklist: docs/deployment.md.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE=${STAGE:-prod}
: "${DOMAIN:?set DOMAIN}"
if [ "$STAGE" = prod ]; then : "${ALARM_EMAIL:?prod alarms need a subscriber: set ALARM_EMAIL}"; fi
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-eu-central-1} JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=1
# region, account quotas, every secret the code reads (created or the deploy stops), go-live state
.venv/bin/python scripts/deploy_preflight.py "$STAGE"
ctx=(-c "stage=$STAGE" -c "domain=$DOMAIN")
[ -n "${CERTIFICATE_ARN:-}" ] && ctx+=(-c "certificate_arn=$CERTIFICATE_ARN")
[ -n "${ALARM_EMAIL:-}" ] && ctx+=(-c "alarm_email=$ALARM_EMAIL")
[ -n "${PER_FUNCTION_ALARMS:-}" ] && ctx+=(-c "per_function_alarms=$PER_FUNCTION_ALARMS")
# the gates (cfn-lint, checkov) run on the synthesized template first: a finding stops the deploy
AWS_DEFAULT_REGION=$AWS_DEFAULT_REGION CDK_OUTDIR=infra/cdk.out .venv/bin/python infra/main.py "${ctx[@]}"
# prod: IAM and security-group changes that widen access wait for a person to approve them
approval=never
[ "$STAGE" = prod ] && approval=broadening
CDK="npx --yes aws-cdk@2 --app '.venv/bin/python infra/main.py'"
export CROWDFIX_LINT=0
eval "$CDK bootstrap ${ctx[*]}"          # once per account/region; a no-op afterwards
eval "$CDK deploy crowdfix-$STAGE ${ctx[*]} --require-approval $approval --outputs-file infra/cdk.out/outputs-$STAGE.json"
if [ -n "${SITE_DIR:-}" ] && [ -d "$SITE_DIR" ]; then
  out=infra/cdk.out/outputs-$STAGE.json
  bucket=$(python3 -c "import json;print(json.load(open('$out'))['crowdfix-$STAGE']['SiteBucket'])")
  dist=$(python3 -c "import json;print(json.load(open('$out'))['crowdfix-$STAGE']['DistributionId'])")
  # the bucket is versioned: files removed here stay as old versions for 30 days (rollback)
  aws s3 sync "$SITE_DIR" "s3://$bucket/" --delete
  aws cloudfront create-invalidation --distribution-id "$dist" --paths '/*' >/dev/null
fi
python3 -c "import json;o=json.load(open('infra/cdk.out/outputs-$STAGE.json'))['crowdfix-$STAGE'];print('site', o['Url']);print('api ', o['ApiUrl'])"
