#!/usr/bin/env bash
# Fails on calls STYLE.md bans in product code (tests may use them freely):
# unbounded or unchecked string and number parsing, and memcmp on MACs.
set -uo pipefail
cd "$(dirname "$0")/.."
files=$(ls common/*.c gateway/*.c backends/*.c)
bad=$(grep -nE '\b(sscanf|atoi|atol|atoll|strcpy|strcat|sprintf|vsprintf|strtok|gets)\s*\(' $files)
mac=$(grep -nE '\bmemcmp\s*\(.*(sig|mac|digest|md5|sha)' $files)
if [ -n "$bad$mac" ]; then
	echo "Banned calls (see STYLE.md item 7):"
	printf '%s\n' "$bad" "$mac" | sed '/^$/d'
	exit 1
fi
echo "style: no banned calls"
