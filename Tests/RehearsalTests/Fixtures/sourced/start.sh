#!/bin/bash -e
# The boot logic lives in a helper file next to this script.
. "$(dirname "$0")/runner-lib.sh"
read_instance
read_config
fetch_secret
start_runner
