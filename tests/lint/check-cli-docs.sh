#!/bin/sh
# check-cli-docs.sh BERTH: docs/cli.md is what `berth __docs` prints, so the command reference
# stays true to the command tables (regenerate with: build/bin/berth __docs > docs/cli.md).
set -eu
berth=${1:?usage: check-cli-docs.sh path/to/berth}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$berth" __docs >"$tmp"
if ! cmp -s "$tmp" docs/cli.md; then
    echo "docs/cli.md is not what \`berth __docs\` prints:" >&2
    diff -u docs/cli.md "$tmp" | head -40 >&2
    echo "regenerate it: $berth __docs > docs/cli.md" >&2
    exit 1
fi
echo "docs/cli.md matches berth __docs"
