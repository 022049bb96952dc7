#!/usr/bin/env bash
# Writes the production bundle to <out-dir>: the `ferry` CLI compiled to JavaScript with only its
# production dependencies, which is all the image runs (infra/Dockerfile builds with this script,
# packages/cli/src/production-bundle.test.ts checks what it makes). Run it as
#   node --conditions=ferry-dist <out-dir>/dist/main.js api|worker|autoscaler
# (the condition picks each package's dist/ over its src/; see tsconfig.build-base.json).
#
# Needs an installed workspace (`pnpm install --frozen-lockfile`); it fetches nothing: deploy links
# from the store that install filled. <out-dir> must be new or empty.
set -euo pipefail
out="${1:?usage: scripts/bundle.sh <out-dir>}"
out="$(mkdir -p "$out" && cd "$out" && pwd)"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

# The CLI and every workspace package it depends on ("..."); packages without a build script
# (local-stack, test-support: development only) are skipped.
pnpm exec turbo run build --filter=@ferry/cli... --output-logs=errors-only
# pnpm 12 deploys without injectWorkspacePackages: the workspace packages are copied in (their
# `files`, i.e. dist/ and package.json), not linked back to this checkout, and --prod leaves out
# every devDependency, @ferry/local-stack with fauxqs included.
pnpm --filter @ferry/cli deploy --prod --offline --reporter=append-only "$out"
