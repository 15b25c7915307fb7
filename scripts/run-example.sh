#!/bin/sh
# Sets everything up and runs licd in the foreground on the example
# configuration (state in ./state, flex listener on 127.0.0.1:27000).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh
exec ./build/licd -c config/examples/licd.conf --foreground "$@"
