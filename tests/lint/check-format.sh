#!/bin/sh
# Every C file in the tree must be formatted as .clang-format says. Prints the files that are
# not, and how to fix them.
set -eu
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || { echo "clang-format is not installed (installer/install-deps.sh)"; exit 1; }
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
bad=""
for f in $files; do
    [ -f "$f" ] || continue
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        bad="$bad $f"
    fi
done
if [ -n "$bad" ]; then
    echo "not formatted as .clang-format says:$bad"
    echo "fix with: clang-format -i$bad"
    exit 1
fi
echo "formatting: $(echo "$files" | wc -w) files checked"
