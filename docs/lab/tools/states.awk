# SPDX-License-Identifier: GPL-2.0
#
# states.awk - the states each socket of one connection went through, from
# "trace-cmd report" of af_toy:toy_set_state or sock:inet_sock_set_state
# (both name their fields sport, dport and newstate).
#
#   trace-cmd report -i FILE | awk -v port=PORT -f docs/lab/tools/states.awk
#
# PORT is the server's.  The client's socket is the one whose peer's port
# (dport) is PORT; the listener has no peer (dport=0); the server's side
# of the connection is the other socket with sport=PORT.
/_set_state:/ {
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		f[kv[1]] = kv[2]
	}
	if (f["dport"] == port)
		who = "client"
	else if (f["sport"] != port)
		who = ""
	else if (f["dport"] == 0)
		who = "listener"
	else
		who = "server"
	if (who != "")
		s[who] = s[who] " " f["newstate"]
}
END {
	print "client:" s["client"]
	print "listener:" s["listener"]
	print "server:" s["server"]
}
