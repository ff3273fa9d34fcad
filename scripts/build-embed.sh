#!/usr/bin/env bash
# Builds the embed player (embed/index.html, the replicalab-embed binary) into the playground's
# output, as dist/embed/. Trunk runs this after each build of the playground (the post_build hook
# in Trunk.toml), with TRUNK_STAGING_DIR and TRUNK_PROFILE set; run by hand it builds the release
# player into dist/embed/.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${TRUNK_STAGING_DIR:-$PWD/dist}/embed"
release=()
if [ "${TRUNK_PROFILE:-release}" = "release" ]; then release=(--release); fi
exec trunk --config embed/Trunk.toml build "${release[@]}" --offline --dist "$out"
