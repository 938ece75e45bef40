#!/bin/sh
# .ci/run must run exactly the README's test command (set-up command 2), nothing else.
set -eu
cd "$(dirname "$0")/../.."
readme_cmd=$(grep -E '^\./installer/install-deps\.sh && .*tests/run-all\.sh' README.md | head -n 1)
ci_cmd=$(grep -v '^#' .ci/run | grep -v '^set ' | grep -v '^cd ' | sed '/^$/d')
if [ -z "$readme_cmd" ]; then
    echo "README.md has no test command (a line ./installer/install-deps.sh && ... tests/run-all.sh)"
    exit 1
fi
if [ "$readme_cmd" != "$ci_cmd" ]; then
    echo "README test command: $readme_cmd"
    echo ".ci/run runs:        $ci_cmd"
    exit 1
fi
echo "README and .ci/run agree: $ci_cmd"
