module "ephemeral" {
  source                   = "github-aws-runners/github-runner/aws"
  version                  = "3.6.1"
  prefix                   = "ci-ephemeral"
  enable_ephemeral_runners = true
  userdata_template        = "./user-data.sh"
}

module "persistent" {
  source            = "github-aws-runners/github-runner/aws"
  version           = "3.6.1"
  prefix            = "ci-persistent"
  userdata_template = "./user-data.sh"
}
