#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# man-example.sh PAGE NAME.c - print the program NAME.c from the EXAMPLES
# of the man page PAGE, as a reader of man(1) sees it, ready to compile.
#
# The program is the text between the lines
#     .\" SRC BEGIN (NAME.c)
#     .\" SRC END
# (the markers the Linux man-pages project puts around its examples).  It
# is formatted by groff, as man(1) does, so that the roff escapes (\e, \-,
# \(aq) turn into the characters a reader copies; then the lines groff
# adds (the page's header and footer, the section heading) and the page's
# indent are taken off.  tests/Makefile builds the program in toy.7 this
# way, and scripts/man-check.sh checks that it compiles.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: man-example.sh PAGE NAME.c" >&2
	exit 2
fi
page=$1
name=$2

src=$(sed -n "/^\.\\\\\" SRC BEGIN ($name)\$/,/^\.\\\\\" SRC END\$/p" "$page")
if [ -z "$src" ]; then
	echo "man-example.sh: no program $name in $page" >&2
	exit 1
fi

# groff -Tascii: plain ASCII; -P-cbou: no overstriking for bold or
# underline.  The code is indented by 7 columns; the header, the section
# heading and the footer (which starts at column 0 only when .TH gives it
# a date and a source) are not.  Blank lines inside the program stay;
# those around it go.  groff's stderr is not hidden: scripts/man-check.sh
# lints the page.
{
	echo '.TH EXAMPLE 7 date source'
	echo '.SH EXAMPLES'
	printf '%s\n' "$src"
} | groff -man -Tascii -P-cbou |
	sed -e '/^[^ ]/d' -e 's/^       //' |
	awk 'NF { for (; blank > 0; blank--) print ""; print; started = 1; next }
	     started { blank++ }'
