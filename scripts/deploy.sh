#!/usr/bin/env bash
# Deploy (or update) one crowdfix stage to the AWS account of the current credentials.
#   STRIPE_SECRET_KEY=sk_live_... STRIPE_WEBHOOK_SECRET=whsec_... DOMAIN=crowdfix.example make deploy STAGE=prod
# Optional: CERTIFICATE_ARN (ACM, us-east-1, for DOMAIN on CloudFront), ALARM_EMAIL, SITE_DIR (built SPA).
# Secrets go to SSM Parameter Store as SecureString (free, KMS aws/ssm); the template only names them.
set -euo pipefail
cd "$(dirname "$0")/.."
STAGE=${STAGE:-prod}
: "${STRIPE_SECRET_KEY:?set STRIPE_SECRET_KEY}" "${STRIPE_WEBHOOK_SECRET:?set STRIPE_WEBHOOK_SECRET}" "${DOMAIN:?set DOMAIN}"
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-eu-central-1} JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=1
put() { aws ssm put-parameter --name "$1" --type SecureString --overwrite --value "$2" >/dev/null; }
# the token signing secret is made once per stage and kept (rotating it signs everybody out)
aws ssm get-parameter --name "/crowdfix/$STAGE/token-secret" >/dev/null 2>&1 || \
  put "/crowdfix/$STAGE/token-secret" "$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
put "/crowdfix/$STAGE/stripe-secret-key" "$STRIPE_SECRET_KEY"
put "/crowdfix/$STAGE/stripe-webhook-secret" "$STRIPE_WEBHOOK_SECRET"
ctx=(-c "stage=$STAGE" -c "domain=$DOMAIN")
[ -n "${CERTIFICATE_ARN:-}" ] && ctx+=(-c "certificate_arn=$CERTIFICATE_ARN")
[ -n "${ALARM_EMAIL:-}" ] && ctx+=(-c "alarm_email=$ALARM_EMAIL")
[ -n "${PER_FUNCTION_ALARMS:-}" ] && ctx+=(-c "per_function_alarms=$PER_FUNCTION_ALARMS")
CDK="npx --yes aws-cdk@2 --app '.venv/bin/python infra/main.py'"
export CROWDFIX_LINT=0
eval "$CDK bootstrap ${ctx[*]}"          # once per account/region; a no-op afterwards
eval "$CDK deploy crowdfix-$STAGE ${ctx[*]} --require-approval never --outputs-file infra/cdk.out/outputs-$STAGE.json"
if [ -n "${SITE_DIR:-}" ] && [ -d "$SITE_DIR" ]; then
  out=infra/cdk.out/outputs-$STAGE.json
  bucket=$(python3 -c "import json;print(json.load(open('$out'))['crowdfix-$STAGE']['SiteBucket'])")
  dist=$(python3 -c "import json;print(json.load(open('$out'))['crowdfix-$STAGE']['DistributionId'])")
  aws s3 sync "$SITE_DIR" "s3://$bucket/" --delete
  aws cloudfront create-invalidation --distribution-id "$dist" --paths '/*' >/dev/null
fi
python3 -c "import json;o=json.load(open('infra/cdk.out/outputs-$STAGE.json'))['crowdfix-$STAGE'];print('site', o['Url']);print('api ', o['ApiUrl'])"
