# Helpers for start.sh (sourced, not executed).
read_instance() {
  imds_token=$(curl -sf -X PUT "http://169.254.169.254/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
  instance_id=$(curl -sf -H "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/instance-id)
  region=$(curl -sf -H "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/placement/region)
  config_path=$(aws ec2 describe-tags --region "$region" --filters "Name=resource-id,Values=$instance_id" "Name=key,Values=ghr:ssm_config_path" --query "Tags[0].Value" --output text)
}
param() { aws ssm get-parameter --name "$config_path/$1" --region "$region" --query Parameter.Value --output text 2>/dev/null || echo ""; }
read_config() {
  agent_mode=$(param agent_mode)
  jit=$(param enable_jit_config)
  token_path=$(param token_path)
}
fetch_secret() {
  secret=$(aws ssm get-parameter --name "$token_path/$instance_id" --with-decryption --region "$region" --query Parameter.Value --output text)
  aws ssm delete-parameter --name "$token_path/$instance_id" --region "$region"
}
start_runner() {
  cd /opt/actions-runner
  export RUNNER_ALLOW_RUNASROOT=1
  if [ "$agent_mode" = "ephemeral" ] && [ "$jit" = "true" ]; then
    ./run.sh --jitconfig "$secret"
  else
    ./config.sh --unattended --name "runner-$instance_id" $secret
    if [ "$agent_mode" = "ephemeral" ]; then ./run.sh; else ./svc.sh install root && ./svc.sh start; fi
  fi
}
