#!/bin/bash
# Boot script of our own: every runner command goes through one wrapper function.
set -euo pipefail
${install_runner}
as_runner() { sudo -u ec2-user -- "$@"; }
register() { as_runner ./config.sh --unattended --name "runner-$instance_id" --work _work $1; }
imds_token=$(curl -sf -X PUT "http://169.254.169.254/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
instance_id=$(curl -sf -H "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/instance-id)
config_path=$(curl -sf -H "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/tags/instance/ghr:ssm_config_path)
mode=$(aws ssm get-parameter --name "$config_path/agent_mode" --query Parameter.Value --output text)
token_path=$(aws ssm get-parameter --name "$config_path/token_path" --query Parameter.Value --output text)
value=$(aws ssm get-parameter --name "$token_path/$instance_id" --with-decryption --query Parameter.Value --output text)
aws ssm delete-parameter --name "$token_path/$instance_id"
cd /opt/actions-runner
register "$value"
if [ "$mode" = ephemeral ]; then as_runner ./run.sh; else ./svc.sh install ec2-user; ./svc.sh start; fi
