# Plot of bench/time_to_escape.sh: for each target, the cumulative fraction of trials that
# escaped against seconds (log scale), one line per engine, one panel per target.
# The script calls it as
#   gnuplot -e "datadir='D'; out='F.png'; targets='t1 t2'; nprofiles='4 9'; \
#               engines='e1 e2'; trials=5; budget=60" bench/time_to_escape.gp
# with D/<target>.<engine>.dat holding a step curve: "seconds fraction" per line.
if (!exists("datadir") || !exists("out") || !exists("targets") || !exists("nprofiles") \
    || !exists("engines") || !exists("trials") || !exists("budget")) {
	print "time_to_escape.gp: set datadir, out, targets, nprofiles, engines, trials, budget with -e"
	exit status 2
}

n = words(targets)
cols = (n > 1) ? 2 : 1
rows = (n + cols - 1) / cols
set terminal pngcairo size 560 * cols, 360 * rows font "sans,9" noenhanced
set output out
if (n > 1) { set multiplot layout rows, cols }

set logscale x
set xrange [0.1:budget]
set yrange [-0.02:1.02]
set format x "%g"
set xlabel "seconds from an empty corpus (log scale)"
set ylabel "fraction of trials escaped"
set key bottom right
set grid
do for [i = 1:n] {
	t = word(targets, i)
	set title sprintf("%s: %s vulnerable profile(s) x %d trials, %d s budget", \
		t, word(nprofiles, i), trials, budget)
	plot for [j = 1:words(engines)] sprintf("%s/%s.%s.dat", datadir, t, word(engines, j)) \
		using 1:2 with lines lw 2 lc j title word(engines, j)
}
if (n > 1) { unset multiplot }
