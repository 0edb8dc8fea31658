#!/bin/sh -e
# Written for bash but started with /bin/sh: `==` inside `[` is not POSIX, and dash rejects it.
exec >> /var/log/runner-startup.log 2>&1
imds_token=$(curl -sf -X PUT "http://169.254.169.254/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 180")
meta() { curl -sf -H "X-aws-ec2-metadata-token: $imds_token" "http://169.254.169.254/latest/$1"; }
instance_id=$(meta meta-data/instance-id)
region=$(meta dynamic/instance-identity/document | jq -r .region)
config_path=$(meta meta-data/tags/instance/ghr:ssm_config_path)
prefix=$(meta meta-data/tags/instance/ghr:runner_name_prefix)
params=$(aws ssm get-parameters-by-path --path "$config_path" --region "$region" --query "Parameters[*].{Name:Name,Value:Value}")
get() { echo "$params" | jq -r ".[] | select(.Name == \"$config_path/$1\") | .Value"; }
run_as=$(get run_as)
agent_mode=$(get agent_mode)
token_path=$(get token_path)
enable_jit_config=$(get enable_jit_config)
config=""
while [ -z "$config" ]; do
  config=$(aws ssm get-parameter --name "$token_path/$instance_id" --with-decryption --region "$region" --query Parameter.Value --output text 2>/dev/null || true)
  [ -z "$config" ] && sleep 1
done
aws ssm delete-parameter --name "$token_path/$instance_id" --region "$region"
cd /opt/actions-runner
if [ "$agent_mode" == "ephemeral" ] && [ "$enable_jit_config" == "true" ]; then
  sudo -u "$run_as" -- ./run.sh --jitconfig "$config"
  aws ec2 terminate-instances --instance-ids "$instance_id" --region "$region"
else
  sudo -u "$run_as" -- ./config.sh --unattended --name "$prefix$instance_id" --work "_work" $config
  if [ "$agent_mode" = "ephemeral" ]; then
    sudo -u "$run_as" -- ./run.sh
  else
    ./svc.sh install "$run_as"
    ./svc.sh start
  fi
fi
