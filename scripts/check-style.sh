#!/usr/bin/env bash
# CI's style gate (STYLE.md items 7 and 15):
#  - no banned calls in product code (tests may use them): unbounded or
#    unchecked string and number parsing, and memcmp on MACs;
#  - every C file formatted by .clang-format (`make format` fixes it).
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
product=$(ls common/*.c gateway/*.c backends/*.c lifecycle/*.c)
bad=$(grep -nE '\b(sscanf|atoi|atol|atoll|strcpy|strcat|sprintf|vsprintf|strtok|gets)\s*\(' $product)
mac=$(grep -nE '\bmemcmp\s*\(.*(sig|mac|digest|md5|sha)' $product)
if [ -n "$bad$mac" ]; then
	echo "Banned calls (see STYLE.md item 7):"
	printf '%s\n' "$bad" "$mac" | sed '/^$/d'
	rc=1
fi
if command -v clang-format >/dev/null; then
	if ! clang-format --dry-run --Werror common/*.[ch] gateway/*.[ch] backends/*.[ch] lifecycle/*.[ch] \
		tests/unit/*.c tests/fuzz/*.[ch] 2>/tmp/strata-format.$$; then
		echo "Not clang-formatted (run 'make format'):"
		grep -Eo '^[^:]+\.[ch]' /tmp/strata-format.$$ | sort -u
		rc=1
	fi
	rm -f /tmp/strata-format.$$
else
	echo "clang-format missing: format not checked"
	rc=1
fi
[ $rc -eq 0 ] && echo "style: no banned calls, formatting clean"
exit $rc
