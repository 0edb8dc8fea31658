#!/bin/bash -e
# Our own AMI boot wrapper: Packer renders it with the start script as `start_runner`.
logger -t runner-boot "wrapper started"
mkdir -p /var/log/runner && exec >> /var/log/runner/boot.log 2>&1
cd /opt/actions-runner
${start_runner}
