#!/bin/bash -e
# Our own user-data template in the shape the module renders: its parts as template variables.
exec >> /var/log/user-data.log 2>&1
%{ if enable_debug_logging }
set -x
%{ endif }
${pre_install}
yum install -y jq
${install_runner}
${post_install}
${start_runner}
