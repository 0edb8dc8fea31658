# The repository side of the probe results fixture (../probe.json): three fleets, two of which
# seed_fleet.py deploys in moto (`legacy` by 3.6.1, `modern` by a 4.x release).

module "legacy" {
  source  = "philips-labs/github-runner/aws"
  version = "4.1.0"

  prefix                   = "legacy"
  enable_ephemeral_runners = true
  enable_jit_config        = false
}

module "modern" {
  source  = "github-aws-runners/github-runner/aws"
  version = "6.5.0"

  prefix                   = "modern"
  enable_ephemeral_runners = true
  ami_filter = {
    name  = ["al2023-ami-2023.*-x86_64"]
    state = ["available"]
  }
}

module "spare" {
  source  = "github-aws-runners/github-runner/aws"
  version = "6.5.0"

  prefix                   = "spare"
  enable_ephemeral_runners = false
}
