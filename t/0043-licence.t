#!/bin/sh
# The project's licence: LICENSE is the Apache License 2.0 as Debian ships
# it (/usr/share/common-licenses/Apache-2.0), debian/copyright names it in
# the machine-readable format and points there, the release tarball
# carries LICENSE, README.md names it.
. "$top_srcdir/t/lib.sh"
t_setup
plan_auto

L=/usr/share/common-licenses/Apache-2.0
ok "LICENSE exists" test -s "$top_srcdir/LICENSE"
if [ -r "$L" ]; then
	ok "LICENSE is Debian's $L, unchanged" cmp "$top_srcdir/LICENSE" "$L"
else
	skip "$L is not on this machine (package base-files)" 1
fi
like "$(head -4 "$top_srcdir/LICENSE")" "Apache License" "... the Apache License"
like "$(head -4 "$top_srcdir/LICENSE")" "Version 2\.0, January 2004" "... version 2.0"
C=$top_srcdir/debian/copyright
is "$(sed -n 's/^License: //p' "$C" | sort -u)" "Apache-2.0" "debian/copyright: every License: is Apache-2.0"
is "$(grep -c '^License: Apache-2.0$' "$C")" 2 "... the Files paragraph and the stand-alone licence paragraph"
ok "... points to /usr/share/common-licenses/Apache-2.0" grep -q '"/usr/share/common-licenses/Apache-2.0"' "$C"
nok "... no 'other' licence left" grep -q '^License: other' "$C"
ok "the release tarball carries LICENSE (EXTRA_DIST)" grep -qE '^EXTRA_DIST.*[[:space:]]LICENSE([[:space:]]|$)' \
	"$top_srcdir/Makefile.am"
ok "README.md names the licence" grep -q 'Apache License 2\.0.*LICENSE\|LICENSE.*Apache License 2\.0' \
	"$top_srcdir/README.md"
done_testing
