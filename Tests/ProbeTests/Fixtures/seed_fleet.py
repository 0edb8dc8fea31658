#!/usr/bin/env python3
"""Seeds moto with two runner fleets through the real AWS API (boto3), or prints a snapshot.

  seed_fleet.py ENDPOINT                      seed `legacy` (deployed by 3.6.1) and `modern` (4.x)
  seed_fleet.py ENDPOINT --snapshot           print every seeded resource as JSON (sorted, stable)
  seed_fleet.py ENDPOINT --user NAME ACTIONS  create an IAM user allowed ACTIONS (comma list); print its key
  seed_fleet.py ENDPOINT --app ID KEY.pem     also store a real GitHub App (id, base64 key) for `modern`
      [--app-names ID_PARAM KEY_PARAM]        ... under these SSM names instead of the module's
  seed_fleet.py ENDPOINT --github-env JSON    also give `modern`'s scale-up lambda these variables
                                              (GHES_URL, RUNNER_GROUP_NAME, RUNNER_NAME_PREFIX, ...)

Secret values here (app key, tokens, JIT configs, a lambda variable) start with SECRET- so tests
can prove that none of them reaches the probe's output.
"""
import base64, io, json, sys, time, zipfile
import boto3

endpoint = sys.argv[1]
REGION = "eu-west-1"
session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
def client(name):
    return session.client(name, endpoint_url=endpoint)

ssm, ec2, iam, lam, sqs, logs, cw, apigw = (client(n) for n in ["ssm", "ec2", "iam", "lambda", "sqs", "logs", "cloudwatch", "apigatewayv2"])

TOKEN_ONLY = """#!/bin/bash -e
exec > >(tee /var/log/user-data.log | logger -t user-data -s 2>/dev/console) 2>&1
instance_id=$(curl -s http://169.254.169.254/latest/meta-data/instance-id)
token_path=$(aws ssm get-parameter --name "/github-action-runners/legacy/runners/config/token_path" --query Parameter.Value --output text)
config=$(aws ssm get-parameter --name "$token_path/$instance_id" --with-decryption --query Parameter.Value --output text)
aws ssm delete-parameter --name "$token_path/$instance_id"
cd /opt/actions-runner
./config.sh --unattended --name "$instance_id" --work "_work" $config
./run.sh
"""

JIT_AWARE = """#!/bin/bash -e
token=$(curl -s -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" http://169.254.169.254/latest/api/token)
instance_id=$(curl -s -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)
ssm_config_path="/github-action-runners/modern/runners/config"
token_path=$(aws ssm get-parameter --name "$ssm_config_path/token_path" --query Parameter.Value --output text)
agent_mode=$(aws ssm get-parameter --name "$ssm_config_path/agent_mode" --query Parameter.Value --output text)
enable_jit_config=$(aws ssm get-parameter --name "$ssm_config_path/enable_jit_config" --query Parameter.Value --output text)
config=$(aws ssm get-parameter --name "$token_path/$instance_id" --with-decryption --query Parameter.Value --output text)
aws ssm delete-parameter --name "$token_path/$instance_id"
cd /opt/actions-runner
if [[ "$enable_jit_config" == "false" || "$agent_mode" != "ephemeral" ]]; then
  ./config.sh --unattended --name "$instance_id" --work "_work" $config
fi
if [[ "$agent_mode" == "ephemeral" ]]; then
  if [[ "$enable_jit_config" == "true" ]]; then
    ./run.sh --jitconfig "$config"
  else
    ./run.sh
  fi
else
  ./svc.sh install && ./svc.sh start
fi
"""

LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
EC2_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

def tiny_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.js", "exports.handler = async () => ({});\n")
    return buf.getvalue()

def image_id():
    images = ec2.describe_images(Owners=["amazon"])["Images"]
    return sorted(i["ImageId"] for i in images)[0]

# The 4.x fleet boots an image of its own, as a Packer template named it (`ami_name`).
RUNNER_AMI_NAME = "ghr-runner-al2023-x86_64-20261201"

def runner_image_id():
    found = ec2.describe_images(Filters=[{"Name": "name", "Values": [RUNNER_AMI_NAME]}])["Images"]
    if found:
        return found[0]["ImageId"]
    return ec2.register_image(Name=RUNNER_AMI_NAME, Architecture="x86_64", RootDeviceName="/dev/xvda", VirtualizationType="hvm")["ImageId"]

def put(name, value, type_="String"):
    ssm.put_parameter(Name=name, Value=value, Type=type_, Overwrite=True)

def fleet(prefix, version4):
    root = f"/github-action-runners/{prefix}"
    put(f"{root}/app/github_app_id", "123456", "SecureString")  # the module stores all three App values encrypted
    put(f"{root}/app/github_app_key_base64", f"SECRET-APP-KEY-{prefix}", "SecureString")
    put(f"{root}/app/github_app_webhook_secret", f"SECRET-WEBHOOK-{prefix}", "SecureString")
    put(f"{root}/runners/config/run_as", "ec2-user")
    put(f"{root}/runners/config/agent_mode", "ephemeral")
    put(f"{root}/runners/config/token_path", f"{root}/runners/tokens")
    put(f"{root}/runners/config/enable_cloudwatch", "true")
    if version4:
        put(f"{root}/runners/config/enable_jit_config", "true")

    # IAM roles, as the module names them before 6.7.7.
    runner_role = iam.create_role(RoleName=f"{prefix}-runner-role", AssumeRolePolicyDocument=json.dumps(EC2_TRUST), Path=f"/{prefix}/")["Role"]
    iam.put_role_policy(RoleName=runner_role["RoleName"], PolicyName="runner-ssm-parameters", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ssm:DeleteParameter", "ssm:GetParameters", "ssm:GetParameter"],
                       "Resource": f"arn:aws:ssm:{REGION}:123456789012:parameter{root}/runners/*"}]}))
    scale_up = iam.create_role(RoleName=f"{prefix}-action-scale-up-lambda-role", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST), Path=f"/{prefix}/")["Role"]
    if version4:
        policy = iam.create_policy(PolicyName=f"{prefix}-scale-up", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["ec2:*", "ssm:*", "sqs:*", "iam:PassRole", "logs:*"], "Resource": "*"}]}))
        iam.attach_role_policy(RoleName=scale_up["RoleName"], PolicyArn=policy["Policy"]["Arn"])
    else:
        iam.put_role_policy(RoleName=scale_up["RoleName"], PolicyName="lambda-scale-up", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["ec2:DescribeInstances", "ec2:DescribeTags", "ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateTags"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["ssm:PutParameter"], "Resource": "*"},
                {"Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": f"arn:aws:ssm:{REGION}:123456789012:parameter{root}/app/*"},
            ]}))

    env = {"ENVIRONMENT": prefix, "ENABLE_EPHEMERAL_RUNNERS": "true", "LAUNCH_TEMPLATE_NAME": f"{prefix}-action-runner",
           "PARAMETER_GITHUB_APP_KEY_BASE64_NAME": f"{root}/app/github_app_key_base64", "SOME_API_TOKEN": f"SECRET-LAMBDA-ENV-{prefix}"}
    if version4:
        env.update({"ENABLE_JIT_CONFIG": "true", "SSM_CONFIG_PATH": f"{root}/runners/config", "RUNNER_LABELS": "self-hosted,linux,x64"})
    else:
        env.update({"RUNNER_EXTRA_LABELS": "linux,x64", "SSM_TOKEN_PATH": f"{root}/runners/tokens"})
    for fn in ["scale-up", "scale-down", "webhook"]:
        lam.create_function(FunctionName=f"{prefix}-{fn}", Runtime="nodejs18.x" if version4 else "nodejs16.x",
                            Role=scale_up["Arn"], Handler="index.handler", Code={"ZipFile": tiny_zip()},
                            Environment={"Variables": env if fn == "scale-up" else {"ENVIRONMENT": prefix}})

    # The webhook's HTTP API, as the module names it (modules/webhook: `<prefix>-github-action-webhook`).
    apigw.create_api(Name=f"{prefix}-github-action-webhook", ProtocolType="HTTP")

    lt = ec2.create_launch_template(LaunchTemplateName=f"{prefix}-action-runner", LaunchTemplateData={
        "ImageId": runner_image_id() if version4 else image_id(), "InstanceType": "m5.large",
        "UserData": base64.b64encode((JIT_AWARE if version4 else TOKEN_ONLY).encode()).decode(),
        "MetadataOptions": {"HttpTokens": "required" if version4 else "optional"},
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [
            {"Key": "ghr:environment", "Value": prefix}, {"Key": "Name", "Value": f"{prefix}-action-runner"},
            {"Key": "ghr:ssm_config_path", "Value": f"{root}/runners/config"}]}]})
    owner_tags = [{"Key": "ghr:Type", "Value": "Org"}, {"Key": "ghr:Owner", "Value": "my-org"}] if version4 else \
                 [{"Key": "Type", "Value": "Org"}, {"Key": "Owner", "Value": "my-org"}]
    r = ec2.run_instances(LaunchTemplate={"LaunchTemplateName": f"{prefix}-action-runner"}, MinCount=2, MaxCount=2,
                          TagSpecifications=[{"ResourceType": "instance", "Tags": owner_tags + [
                              {"Key": "ghr:environment", "Value": prefix}, {"Key": "ghr:Application", "Value": "github-action-runner"},
                              {"Key": "ghr:created_by", "Value": "scale-up-lambda"}, {"Key": "Name", "Value": f"{prefix}-action-runner"}]}])
    ids = sorted(i["InstanceId"] for i in r["Instances"])
    # One instance never fetched its token: the parameter stays behind.
    secret = f"SECRET-JIT-CONFIG-{prefix}" if version4 else f"--url https://github.com/my-org --token SECRET-TOKEN-{prefix}"
    put(f"{root}/runners/tokens/{ids[0]}", secret, "SecureString")

    fifo = "" if version4 else ".fifo"
    attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    sqs.create_queue(QueueName=f"{prefix}-queued-builds{fifo}", Attributes=attrs)
    dlq = sqs.create_queue(QueueName=f"{prefix}-queued-builds_dead_letter")["QueueUrl"]
    if not version4:
        for n in range(2):
            sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"id": n, "eventType": "workflow_job"}))

    if version4:
        now = int(time.time() * 1000)
        for group, stream, lines in [
            (f"/aws/lambda/{prefix}-scale-up", "2026/12/06/[$LATEST]abc", [
                '{"level":"INFO","message":"Received event","function-name":"%s-scale-up"}' % prefix,
                '{"level":"WARN","message":"Ignoring error: Not Found","function-name":"%s-scale-up"}' % prefix,
                '{"level":"WARN","message":"Ignoring error: Not Found","function-name":"%s-scale-up"}' % prefix]),
            (f"/github-self-hosted-runners/{prefix}/runner", ids[1], [
                "Unrecognized command-line input arguments for command run: 'ephemeral, url, token, runnergroup'. For usage refer to: .\\config.cmd --help or ./config.sh --help",
                "An error occurred: Not configured. Run config.(sh/cmd) to configure the runner."]),
        ]:
            logs.create_log_group(logGroupName=group)
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            logs.put_log_events(logGroupName=group, logStreamName=stream,
                                logEvents=[{"timestamp": now - 60_000 + i, "message": m} for i, m in enumerate(lines)])
        cw.put_metric_data(Namespace="AWS/Lambda", MetricData=[
            {"MetricName": "Errors", "Dimensions": [{"Name": "FunctionName", "Value": f"{prefix}-scale-up"}], "Value": 3, "Unit": "Count"}])

def snapshot():
    out = {}
    params = ssm.describe_parameters(MaxResults=50)["Parameters"]
    out["ssm"] = sorted([p["Name"], p["Type"], p.get("Version"), ssm.get_parameter(Name=p["Name"], WithDecryption=True)["Parameter"]["Value"]] for p in params)
    inst = []
    for res in ec2.describe_instances()["Reservations"]:
        for i in res["Instances"]:
            inst.append([i["InstanceId"], i["State"]["Name"], sorted((t["Key"], t["Value"]) for t in i.get("Tags", []))])
    out["instances"] = sorted(inst)
    lts = ec2.describe_launch_templates()["LaunchTemplates"]
    out["launch_templates"] = sorted([t["LaunchTemplateName"], t["DefaultVersionNumber"], t["LatestVersionNumber"]] for t in lts)
    out["lambdas"] = sorted([f["FunctionName"], f["Runtime"], json.dumps(f.get("Environment", {}), sort_keys=True)] for f in lam.list_functions()["Functions"])
    roles = []
    for r in iam.list_roles()["Roles"]:
        inline = sorted(iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"])
        attached = sorted(a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=r["RoleName"])["AttachedPolicies"])
        roles.append([r["RoleName"], inline, attached])
    out["roles"] = sorted(roles)
    queues = []
    for url in sqs.list_queues().get("QueueUrls", []):
        a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        queues.append([url.rsplit("/", 1)[1], a.get("ApproximateNumberOfMessages")])
    out["queues"] = sorted(queues)
    groups = []
    for g in logs.describe_log_groups()["logGroups"]:
        n = len(logs.filter_log_events(logGroupName=g["logGroupName"])["events"])
        groups.append([g["logGroupName"], n])
    out["log_groups"] = sorted(groups)
    out["apis"] = sorted([a["Name"], a["ApiEndpoint"]] for a in apigw.get_apis()["Items"])
    print(json.dumps(out, sort_keys=True, indent=1))

def user(name, actions):
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="probe", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    print(json.dumps({"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}))

if __name__ == "__main__":
    if "--snapshot" in sys.argv:
        snapshot()
    elif "--user" in sys.argv:
        i = sys.argv.index("--user")
        user(sys.argv[i + 1], [a for a in sys.argv[i + 2].split(",") if a])
    else:
        fleet("legacy", False)
        fleet("modern", True)
        if "--app" in sys.argv:
            # The 4.x fleet's App as the module stores it: the id, and the base64 of the PEM key.
            i = sys.argv.index("--app")
            with open(sys.argv[i + 2], "rb") as f:
                key_b64 = base64.b64encode(f.read()).decode()
            names = ["/github-action-runners/modern/app/github_app_id", "/github-action-runners/modern/app/github_app_key_base64"]
            if "--app-names" in sys.argv:
                j = sys.argv.index("--app-names")
                names = sys.argv[j + 1:j + 3]
            put(names[0], sys.argv[i + 1], "SecureString")
            put(names[1], key_b64, "SecureString")
        if "--github-env" in sys.argv:
            # What the module gives the 4.x fleet's scale-up lambda about its GitHub side (the seed
            # above sets none of these): merged into the lambda's environment.
            extra = json.loads(sys.argv[sys.argv.index("--github-env") + 1])
            env = lam.get_function_configuration(FunctionName="modern-scale-up")["Environment"]["Variables"]
            env.update(extra)
            lam.update_function_configuration(FunctionName="modern-scale-up", Environment={"Variables": env})
        if "--drop-jit-parameter" in sys.argv:
            # A 4.x fleet whose lambdas were upgraded without the runners' SSM configuration.
            ssm.delete_parameter(Name="/github-action-runners/modern/runners/config/enable_jit_config")
