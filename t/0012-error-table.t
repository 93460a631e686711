#!/bin/sh
# Every row of the error table (doc/errors.md, kept in step with
# src/cmp_error.c by t/unit/test_error) is asserted by at least one test:
# its statusString (or a piece of it without the arguments), or its name.
# CMPF_INTERNAL is the one exception: an answer that cannot be encoded
# (out of memory) cannot be provoked from outside.
. "$top_srcdir/t/lib.sh"
plan_auto

files=$(ls "$top_srcdir"/t/*.t "$top_srcdir"/t/unit/test_*.c | grep -v -e test_error.c -e 0012-error-table.t)
rows=$(grep -E '^\| [0-9]+ \| `CMPF_' "$top_srcdir/doc/errors.md")
n=0
while IFS= read -r row; do
	name=$(printf '%s\n' "$row" | sed 's/^| [0-9]* | `\(CMPF_[A-Z0-9_]*\)`.*/\1/')
	text=$(printf '%s\n' "$row" | awk -F' \\| ' '{ print $6 }' | sed 's/ |$//')
	n=$((n + 1))
	if [ "$name" = CMPF_INTERNAL ]; then
		continue
	fi
	covered=0
	if grep -qF "$name" $files; then
		covered=1
	else
		# the pieces of the text between the arguments
		pieces=$(printf '%s\n' "$text" | sed 's/‹arg›/\n/g; s/\\|/\n/g' |
			sed 's/^[[:space:]:]*//; s/[[:space:]:]*$//; s/^PN=$//')
		while IFS= read -r piece; do
			[ ${#piece} -ge 12 ] || continue
			if grep -qF -- "$piece" $files; then
				covered=1
				break
			fi
		done <<< "$pieces"
	fi
	ok "$name is asserted by a test" [ "$covered" = 1 ]
done <<< "$rows"
ok "the table has rows ($n)" [ "$n" -gt 40 ]
done_testing
