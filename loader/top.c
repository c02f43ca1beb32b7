// SPDX-License-Identifier: GPL-2.0
/*
 * tsmctl top: a live view of the latency maps, like bpftop and scxtop.
 * Loads and attaches the tracing programs (lat.c) and redraws every
 * interval what metrics.c renders from the last two snapshots: per
 * platform the policy, its generation and settings; per operation and
 * step the count, rate, p50, p99, max and a log2 histogram bar; host
 * events per verdict; swaps and ejections.
 *
 * On a terminal: the alternate screen, redrawn in place, the keyboard in
 * non-canonical mode without echo; q (or Ctrl-C, SIGINT, SIGTERM) quits
 * and the terminal is left as it was found.  Not on a terminal (a pipe, a
 * file): one plain screen per interval, or only one with --once; -j: one
 * JSON object per interval, one a line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "lat.h"
#include "main.h"
#include "metrics.h"

#define ESC_ALT_ON	"\033[?1049h"
#define ESC_ALT_OFF	"\033[?1049l"
#define ESC_CUR_HIDE	"\033[?25l"
#define ESC_CUR_SHOW	"\033[?25h"
#define ESC_HOME	"\033[H"
#define ESC_EOL		"\033[K"
#define ESC_EOS		"\033[J"

struct top {
	struct lat *lat;
	struct lat_snapshot snap[2];
	int cur;		/* snap[cur] is the newest, snap[!cur] the one before */
	int nr_snap;
	double delay_s;
	bool tty;		/* full screen */
	bool raw;		/* stdin's termios changed, old_tio to restore */
	struct termios old_tio;
};

static volatile sig_atomic_t top_signal;

static void top_on_signal(int sig)
{
	top_signal = sig;
}

static int top_take(struct top *t)
{
	int next = t->nr_snap ? !t->cur : 0, err;

	lat_snapshot_free(&t->snap[next]);
	err = lat_snapshot(t->lat, &t->snap[next]);
	if (err) {
		p_err("reading the maps: %s", strerror(-err));
		return err;
	}
	t->cur = next;
	t->nr_snap++;
	return 0;
}

static const struct lat_snapshot *top_prev(struct top *t)
{
	return t->nr_snap > 1 ? &t->snap[!t->cur] : NULL;
}

static void top_clock(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

static char *top_render(struct top *t, bool footer)
{
	struct top_view view = { .interval_s = t->delay_s, .footer = footer };
	char clock[16], *buf = NULL;
	size_t len = 0;
	FILE *f;

	top_clock(clock, sizeof(clock));
	view.clock = clock;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	metrics_top_render(f, &t->snap[t->cur], top_prev(t), &view);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Redraw in place: each line cut to the width, the screen to the height. */
static void top_draw(struct top *t)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	char *buf = top_render(t, true);
	const char *p = buf, *nl;
	int row = 0;

	if (!buf)
		return;
	ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
	if (!ws.ws_row || !ws.ws_col) {
		ws.ws_row = 24;
		ws.ws_col = 80;
	}
	fputs(ESC_HOME, stdout);
	while (*p && row < ws.ws_row) {
		size_t n;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		fwrite(p, 1, n < ws.ws_col ? n : ws.ws_col, stdout);
		fputs(ESC_EOL, stdout);
		/* no newline after the last row: the screen must not scroll */
		if (++row < ws.ws_row)
			fputs("\r\n", stdout);
		if (!nl)
			break;
		p = nl + 1;
	}
	fputs(ESC_EOS, stdout);
	fflush(stdout);
	free(buf);
}

static void top_print_plain(struct top *t)
{
	char *buf = top_render(t, false);

	if (!buf)
		return;
	fputs(buf, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	free(buf);
}

static void top_print_json(struct top *t)
{
	json_writer_t *w = jsonw_new(stdout);

	if (!w)
		return;
	jsonw_pretty(w, pretty_output);
	metrics_top_json(w, &t->snap[t->cur], top_prev(t));
	jsonw_destroy(&w);	/* ends the line, flushes */
}

static void top_screen_enter(struct top *t)
{
	struct termios tio;

	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &t->old_tio)) {
		tio = t->old_tio;
		tio.c_lflag &= ~(ICANON | ECHO);
		tio.c_cc[VMIN] = 0;
		tio.c_cc[VTIME] = 0;
		if (!tcsetattr(STDIN_FILENO, TCSAFLUSH, &tio))
			t->raw = true;
	}
	fputs(ESC_ALT_ON ESC_CUR_HIDE ESC_HOME ESC_EOS, stdout);
	fflush(stdout);
}

static void top_screen_leave(struct top *t)
{
	fputs(ESC_CUR_SHOW ESC_ALT_OFF, stdout);
	fflush(stdout);
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t->old_tio);
	t->raw = false;
}

/* Keys waiting on stdin: true if one of them quits. */
static bool top_keys(void)
{
	char buf[64];
	ssize_t n, i;

	n = read(STDIN_FILENO, buf, sizeof(buf));
	for (i = 0; i < n; i++)
		if (buf[i] == 'q' || buf[i] == 'Q' || buf[i] == 3 /* ^C */)
			return true;
	return false;
}

/*
 * Wait delay_s, or less on a key or a signal.  1: a key quit, -1: a
 * quitting signal, 2: the window changed size, 0: time is up.
 */
static int top_wait(struct top *t, const sigset_t *unblocked, uint64_t end_ns)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	struct timespec now, ts;
	uint64_t now_ns;
	int ret;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		now_ns = (uint64_t)now.tv_sec * 1000000000 + now.tv_nsec;
		if (now_ns >= end_ns)
			return 0;
		ts.tv_sec = (end_ns - now_ns) / 1000000000;
		ts.tv_nsec = (end_ns - now_ns) % 1000000000;
		ret = ppoll(&pfd, t->raw ? 1 : 0, &ts, unblocked);
		if (top_signal == SIGWINCH) {
			top_signal = 0;
			return 2;
		}
		if (top_signal)
			return -1;
		if (ret > 0 && (pfd.revents & POLLIN) && top_keys())
			return 1;
		if (ret > 0 && (pfd.revents & (POLLHUP | POLLERR)))
			pfd.fd = -1;	/* no keyboard any more */
	}
}

static int top_help(void)
{
	printf("Usage: %s [-j] top [-d|--delay SEC] [-n|--iterations N] [--once]\n"
	       "\n"
	       "A live view of bind, accept, unbind and their firmware steps per platform:\n"
	       "count, rate, p50, p99, max and a log2 histogram; each platform's policy\n"
	       "(generation, settings, swaps, ejections); host events per verdict.  Loads\n"
	       "the tracing programs for as long as it runs: counts start then.\n"
	       "\n"
	       "  -d, --delay SEC       refresh interval (default 1, at least 0.1)\n"
	       "  -n, --iterations N    stop after N refreshes\n"
	       "  --once                one screen, after one interval (same as -n 1)\n"
	       "\n"
	       "On a terminal: full screen, q quits.  Otherwise (a pipe, a file) one plain\n"
	       "screen per interval; with -j one JSON object per interval, one a line.\n",
	       bin_name);
	return 0;
}

int do_top(int argc, char **argv)
{
	static const struct option options[] = {
		{ "delay",	required_argument,	NULL,	'd' },
		{ "iterations",	required_argument,	NULL,	'n' },
		{ "once",	no_argument,		NULL,	'1' },
		{ "help",	no_argument,		NULL,	'h' },
		{ 0 }
	};
	struct lat_opts lopts = { .timeline = false };
	struct sigaction sa = { .sa_handler = top_on_signal };
	struct top t = { .delay_s = 1.0 };
	unsigned long iterations = 0, done = 0;
	sigset_t block, old;
	struct timespec now;
	uint64_t next_ns;
	char *end;
	int opt, ret = 0, w;

	argc++;
	argv--;
	optind = 0;	/* glibc: start over, main() used getopt too */
	while ((opt = getopt_long(argc, argv, "d:n:h", options, NULL)) >= 0) {
		switch (opt) {
		case 'd':
			errno = 0;
			t.delay_s = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(t.delay_s >= 0.1) ||
			    t.delay_s > 3600) {
				p_err("top: bad --delay '%s': seconds, 0.1 to 3600",
				      optarg);
				return -1;
			}
			break;
		case 'n':
			errno = 0;
			iterations = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || !iterations ||
			    *optarg == '-') {
				p_err("top: bad --iterations '%s': a count, 1 or more",
				      optarg);
				return -1;
			}
			break;
		case '1':
			iterations = 1;
			break;
		case 'h':
			return top_help();
		default:
			fprintf(stderr, "Try '%s top --help'.\n", bin_name);
			return -1;
		}
	}
	if (optind < argc) {
		if (!strcmp(argv[optind], "help"))
			return top_help();
		p_err("top: unexpected argument '%s'; try '%s top --help'",
		      argv[optind], bin_name);
		return -1;
	}
	t.tty = !json_output && isatty(STDOUT_FILENO);

	t.lat = lat_open(&lopts);
	if (!t.lat)
		return -1;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGWINCH);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);
	sigdelset(&old, SIGINT);
	sigdelset(&old, SIGTERM);
	sigdelset(&old, SIGHUP);
	sigdelset(&old, SIGWINCH);

	/* the first snapshot is the base the first rates are taken against */
	ret = top_take(&t);
	if (ret)
		goto out;
	if (t.tty) {
		top_screen_enter(&t);
		top_draw(&t);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	next_ns = (uint64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	for (;;) {
		next_ns += (uint64_t)(t.delay_s * 1e9);
		w = top_wait(&t, &old, next_ns);
		while (w == 2) {	/* resized: redraw what we have */
			if (t.tty)
				top_draw(&t);
			w = top_wait(&t, &old, next_ns);
		}
		if (w)
			break;
		ret = top_take(&t);
		if (ret)
			break;
		if (json_output)
			top_print_json(&t);
		else if (t.tty)
			top_draw(&t);
		else
			top_print_plain(&t);
		if (iterations && ++done >= iterations)
			break;
	}
	if (t.tty)
		top_screen_leave(&t);
out:
	lat_snapshot_free(&t.snap[0]);
	lat_snapshot_free(&t.snap[1]);
	lat_close(t.lat);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}
