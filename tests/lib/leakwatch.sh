# shellcheck shell=bash
# leakwatch.sh - rounds of traffic against a running repguard ($RG_PID),
# checking after each that it holds no more than after the warm-up.
# Needs common.sh and metrics.sh; the daemon must have a MetricsListen on
# 127.0.0.1:$MPORT (its heap is read from repguard_heap_bytes).
#
#   lw_rounds ROUNDS FN
#       FN LABEL is called once as the warm-up ("warm-up") and then ROUNDS
#       times ("round 1" ...); it sends one round of traffic and makes its
#       own test points about it.  After each call, once the daemon's
#       threads are down to what they were before (the connections have
#       ended), its open descriptors, threads, anonymous resident memory
#       and heap are read.  Test points: after every round, descriptors
#       and threads exactly as after the warm-up; then the heap's median
#       growth a round over rounds 2 on under 64 KiB and their sum under
#       1 MiB, and anonymous memory grown less than 2 MiB over rounds 2
#       on (round 1 still fills caches and arenas).  Under
#       AddressSanitizer, whose heap is not comparable, the last two are
#       left to its leak checker at the daemon's exit.
#       Seen: tens of KiB up or down most rounds, and now and then a jump
#       of 100-500 KiB (a queue or a table reaching a new high-water mark
#       after a burst) that later rounds do not repeat; a leak grows every
#       round.

lw_fds() { find "/proc/$RG_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
lw_threads() { awk '/^Threads:/ { print $2 }' "/proc/$RG_PID/status"; }
# resident memory of the heap and stacks (KiB): not the database's pages,
# which are mapped from its file and grow with what it stores
lw_rss() { awk '/^RssAnon:/ { print $2 }' "/proc/$RG_PID/status"; }
# bytes malloc has handed out and not had back, as the daemon reports them
lw_heap() { metrics_value "$(metrics_scrape "$MPORT")" "int(m['repguard_heap_bytes'])"; }
# lw_settle WANT: wait (15 s at most) until the threads are down to WANT
lw_settle() {
	local i=0
	while [ "$(lw_threads)" -gt "$1" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5
}

lw_rounds() {
	local rounds=$1 fn=$2 base fd0 th0 h0 hprev steps="" round fd th r h r1 median sum growth
	base=$(lw_threads)
	"$fn" "warm-up"
	lw_settle "$base"
	fd0=$(lw_fds) th0=$(lw_threads) h0=$(lw_heap)
	hprev=$h0
	echo "# after the warm-up: $fd0 descriptors, $th0 threads, $(lw_rss) KiB resident (anonymous), heap $h0 bytes"
	for round in $(seq 1 "$rounds"); do
		"$fn" "round $round"
		lw_settle "$th0"
		fd=$(lw_fds) th=$(lw_threads) r=$(lw_rss) h=$(lw_heap)
		echo "# after round $round: $fd descriptors, $th threads, $r KiB resident (anonymous), heap $h bytes"
		t_is "$fd" "$fd0" "round $round: open descriptors back to $fd0"
		t_is "$th" "$th0" "round $round: threads back to $th0"
		[ "$round" -ge 2 ] && steps="$steps $(( (h - hprev) / 1024 ))"
		[ "$round" -eq 1 ] && r1=$r
		hprev=$h
	done
	median=$(printf '%s\n' $steps | sort -n | sed -n "$((rounds / 2))p")	# of rounds - 1
	sum=$(( $(printf '%s+' $steps) 0 ))
	growth=$((r - r1))
	if grep -q __asan_init "$REPGUARD" 2>/dev/null; then
		t_pass "heap: left to AddressSanitizer's leak checker (median growth $median KiB)"
		t_pass "resident memory: left to AddressSanitizer's leak checker (grew by $growth KiB)"
	else
		t_ok "$([ "$median" -lt 64 ] && [ "$sum" -lt 1024 ]; echo $?)" \
			"the heap's median growth a round is $median KiB, $sum KiB in all (rounds 2-$rounds:$steps KiB; less than 64 and 1,024)"
		t_ok "$([ "$growth" -lt 2048 ]; echo $?)" \
			"resident memory grew by $growth KiB over rounds 2-$rounds (less than 2,048)"
	fi
}
