# SPDX-License-Identifier: GPL-2.0
#
# bench/bench.gp - draw the AF_TOY benchmark (bench/run.sh calls it):
#   gnuplot -e "dir='build/bench/plot'; outfile='build/bench/bench.png'" bench/bench.gp
# The data files are written by bench/report.py.  Bars are medians over
# the rounds, whiskers the lowest and highest round.

if (!exists("dir")) dir = 'build/bench/plot'
if (!exists("outfile")) outfile = 'build/bench/bench.png'
f(name) = dir.'/'.name

set terminal pngcairo size 1800,1560 font "DejaVu Sans,11" linewidth 1.2
set output outfile

TOY = "#e66101"; INET = "#3b75af"; UNIX = "#a0a0a0"
MET = "#1a9641"; MISSED = "#d7191c"

set style data histogram
set style histogram errorbars gap 1.5 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics lc rgb "#dddddd"
set key top right font ",10" samplen 1.5
set tics nomirror
set border 3

title = system("cat ".f('title.txt'))
set multiplot title title font ",15" noenhanced

W = 1.0/3; H = 0.305; TOPY = 0.655

# ---- row 1 ----
set size W, H
set origin 0, TOPY
set title "Datagram throughput (sender CPU0, receiver CPU1)" font ",12"
set ylabel "thousand datagrams/s delivered (log)"
set logscale y
set yrange [*:*]
plot f('dgram.dat') u 2:3:4:xtic(1) t "AF\\_TOY" lc rgb TOY, \
     '' u 5:6:7 t "UDP lo" lc rgb INET, \
     '' u 8:9:10 t "AF\\_UNIX" lc rgb UNIX
unset logscale y

set origin W, TOPY
set title "Stream throughput (writer CPU0, reader CPU1)"
set ylabel "MB/s"
set yrange [0:*]
plot f('stream.dat') u 2:3:4:xtic(1) t "AF\\_TOY" lc rgb TOY, \
     '' u 5:6:7 t "TCP lo" lc rgb INET, \
     '' u 8:9:10 t "AF\\_UNIX" lc rgb UNIX

set origin 2*W, TOPY
set title "Ping-pong round trip, 64 B (lower is better)"
set ylabel "microseconds (log)"
set logscale y
set yrange [*:*]
plot f('latency.dat') u 2:3:4:xtic(1) t "AF\\_TOY" lc rgb TOY, \
     '' u 5:6:7 t "UDP / TCP lo" lc rgb INET, \
     '' u 8:9:10 t "AF\\_UNIX" lc rgb UNIX
unset logscale y

# ---- row 2 ----
set origin 0, TOPY - H
set title "Connection rate: connect + accept + close"
set ylabel "connections/s"
set yrange [0:*]
plot f('conn.dat') u 2:3:4:xtic(1) t "AF\\_TOY" lc rgb TOY, \
     '' u 5:6:7 t "TCP lo" lc rgb INET, \
     '' u 8:9:10 t "AF\\_UNIX" lc rgb UNIX

set style data linespoints
set logscale x
set logscale y
set xrange [700:140000]
set yrange [*:*]
set xtics ("1k" 1000, "10k" 10000, "100k" 100000)
set xlabel "bound datagram sockets"
set key top left

set origin W, TOPY - H
set title "Cost per bind (lower and flatter is better)"
set ylabel "microseconds (log)"
plot f('scale.dat') u 1:2 t "AF\\_TOY, 1000 fresh sockets into N" lc rgb TOY lw 2 pt 7, \
     '' u 1:8 t "AF\\_TOY, all N (cold)" lc rgb TOY lw 2 dt 2 pt 6, \
     '' u 1:3 t "UDP, 1000 fresh into N" lc rgb INET lw 2 pt 7, \
     '' u 1:9 t "UDP, all N (cold)" lc rgb INET lw 2 dt 2 pt 6

set origin 2*W, TOPY - H
set title "Cost per delivered datagram (lower and flatter is better)"
plot f('scale.dat') u 1:6 t "AF\\_TOY, to 1000 hot sockets" lc rgb TOY lw 2 pt 7, \
     '' u 1:4 t "AF\\_TOY, to any of N (cold)" lc rgb TOY lw 2 dt 2 pt 6, \
     '' u 1:7 t "UDP, to 1000 hot sockets" lc rgb INET lw 2 pt 7, \
     '' u 1:5 t "UDP, to any of N (cold)" lc rgb INET lw 2 dt 2 pt 6

unset logscale x
unset logscale y
unset xlabel
set xrange [*:*]
set xtics autofreq
set style data histogram
set key top right

# ---- row 3 ----
set origin 0, TOPY - 2*H
set title "A flood into a socket that never reads (1 = the buffer limit)"
set ylabel "memory / buffer size"
set xtics font ",9"
set yrange [0:1.6]
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb "black" dt 2
set label 1 "buffer size" at graph 0.02, first 1.05 font ",9"
set label 3 "TCP's stream payload sits in page\nfragments, outside Slab: see its rmem" at graph 0.52, graph 0.95 font ",8"
set key top left
plot f('memory.dat') u 2:3:4:xtic(1) t "AF\\_TOY" lc rgb TOY, \
     '' u 5:6:7 t "UDP / TCP lo" lc rgb INET, \
     '' u 8:9:10 t "AF\\_UNIX" lc rgb UNIX
unset arrow 1
unset label 1
unset label 3
set key top right
set xtics font ",11"

set size 2*W, H
set origin W, TOPY - 2*H
set title "The issue's targets: bar = how far AF\\_TOY is from the target (>= 1 met)"
set ylabel "value relative to target (log)"
set logscale y
set yrange [0.05:40]
set style data boxes
set boxwidth 0.7
set xrange [-0.6:*]
set xtics rotate by 25 right font ",9"
set arrow 2 from graph 0, first 1 to graph 1, first 1 nohead lc rgb "black" lw 1.5
unset key
plot f('targets.dat') u 1:3:(int($4) ? 0x1a9641 : 0xd7191c):xtic(2) w boxes lc rgb variable, \
     '' u 1:($3*1.6 > 25 ? 25 : $3*1.6):5 w labels font ",9"
unset multiplot
