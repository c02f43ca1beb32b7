// SPDX-License-Identifier: GPL-2.0
/*
 * tsmbpf_pty: run a program on a pseudo-terminal and drive it like a
 * person at a terminal would, as a small expect(1).  For the tests of
 * `tsmctl top` (tests/guest/45_dashboards.bats).
 *
 *   tsmbpf_pty [-r ROWS] [-c COLS] [-t TIMEOUT] [-a ACTION]... -- CMD [ARG]...
 *
 * CMD runs as the session leader of a new pty (ROWSxCOLS, default 40x120)
 * with stdin, stdout and stderr on it.  Everything it writes is copied to
 * stdout.  The actions run in order, the output pumped meanwhile:
 *   wait:TEXT    until TEXT appears in the output written since the last
 *                wait matched
 *   key:TEXT     type TEXT ("\x03" style escapes: \xHH, \n, \r)
 *   signal:SIG   send SIGINT, SIGTERM, ... (a name without SIG, or a number)
 *   run:CMD      run CMD with /bin/sh -c, to completion; it must succeed
 *   sleep:SEC    let SEC seconds pass
 * Then CMD must exit.  Last line of stdout:
 *   TSMBPF-PTY exit=N termios=restored|changed
 * where exit is CMD's status (128+signal if killed) and termios says
 * whether the pty's modes are back to those before CMD ran.
 * Exit status: 0 if all actions ran and CMD exited, 124 on TIMEOUT (default
 * 30 s, then CMD is killed), 2 on usage errors or a failed run:.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int master = -1;
static char *seen;		/* output since the last wait: matched */
static size_t seen_len;
static pid_t child;
static int child_status = -1;
static double deadline;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	printf("\nTSMBPF-PTY error: %s\n", what);
	fflush(stdout);
	if (child > 0)
		kill(child, SIGKILL);
	exit(2);
}

/* Pump output for up to ms milliseconds; reap CMD if it ended. */
static void pump(int ms)
{
	struct pollfd pfd = { .fd = master, .events = POLLIN };
	char buf[4096];
	ssize_t n;
	int st;

	if (now_s() > deadline) {
		printf("\nTSMBPF-PTY timeout\n");
		fflush(stdout);
		if (child > 0)
			kill(child, SIGKILL);
		exit(124);
	}
	if (master >= 0 && poll(&pfd, 1, ms) > 0) {
		n = read(master, buf, sizeof(buf));
		if (n > 0) {
			fwrite(buf, 1, n, stdout);
			seen = realloc(seen, seen_len + n + 1);
			if (!seen)
				die("out of memory");
			memcpy(seen + seen_len, buf, n);
			seen_len += n;
			seen[seen_len] = 0;
		} else if (n <= 0 && errno != EAGAIN && errno != EINTR) {
			master = -1;	/* EIO: every slave fd closed */
		}
	} else if (master < 0) {
		usleep(ms * 1000);
	}
	if (child > 0 && child_status < 0 && waitpid(child, &st, WNOHANG) == child)
		child_status = WIFEXITED(st) ? WEXITSTATUS(st) :
			       128 + WTERMSIG(st);
}

/* "q", "\x03", "a\n": the bytes of TEXT */
static size_t unescape(const char *in, char *out)
{
	size_t n = 0;

	while (*in) {
		if (in[0] == '\\' && in[1] == 'x' && in[2] && in[3]) {
			char hex[3] = { in[2], in[3], 0 };

			out[n++] = strtol(hex, NULL, 16);
			in += 4;
		} else if (in[0] == '\\' && in[1] == 'n') {
			out[n++] = '\n';
			in += 2;
		} else if (in[0] == '\\' && in[1] == 'r') {
			out[n++] = '\r';
			in += 2;
		} else {
			out[n++] = *in++;
		}
	}
	return n;
}

static int sig_parse(const char *s)
{
	static const struct { const char *name; int sig; } sigs[] = {
		{ "INT", SIGINT }, { "TERM", SIGTERM }, { "HUP", SIGHUP },
		{ "WINCH", SIGWINCH }, { "KILL", SIGKILL }, { "QUIT", SIGQUIT },
	};
	size_t i;

	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcmp(s, sigs[i].name))
			return sigs[i].sig;
	return atoi(s);
}

static void action(const char *a)
{
	char buf[256];
	pid_t pid;
	size_t n;
	int st;

	if (!strncmp(a, "wait:", 5)) {
		char *hit;

		while (!seen || !(hit = memmem(seen, seen_len, a + 5, strlen(a + 5)))) {
			if (child_status >= 0 && master < 0)
				die("CMD ended before the text came");
			pump(50);
		}
		/* the next wait looks at what comes after this match */
		hit += strlen(a + 5);
		seen_len -= hit - seen;
		memmove(seen, hit, seen_len + 1);
	} else if (!strncmp(a, "key:", 4)) {
		if (strlen(a + 4) >= sizeof(buf))
			die("key: too long");
		n = unescape(a + 4, buf);
		if (write(master, buf, n) != (ssize_t)n)
			die("writing to the pty");
	} else if (!strncmp(a, "signal:", 7)) {
		if (kill(child, sig_parse(a + 7)))
			die("kill");
	} else if (!strncmp(a, "run:", 4)) {
		pid = fork();
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);

			dup2(null, 0);
			dup2(null, 1);	/* stdout is the transcript */
			execl("/bin/sh", "sh", "-c", a + 4, (char *)NULL);
			_exit(127);
		}
		while (waitpid(pid, &st, WNOHANG) != pid)
			pump(50);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			die(a);
	} else if (!strncmp(a, "sleep:", 6)) {
		double end = now_s() + atof(a + 6);

		while (now_s() < end)
			pump(50);
	} else {
		die("unknown action");
	}
}

static bool termios_same(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	       a->c_cflag == b->c_cflag && a->c_lflag == b->c_lflag &&
	       a->c_cc[VMIN] == b->c_cc[VMIN] && a->c_cc[VTIME] == b->c_cc[VTIME];
}

int main(int argc, char **argv)
{
	struct winsize ws = { .ws_row = 40, .ws_col = 120 };
	const char *actions[64];
	struct termios before, after;
	int nr_actions = 0, opt, slave, i;
	double timeout = 30;
	char *name;

	while ((opt = getopt(argc, argv, "r:c:t:a:")) != -1) {
		switch (opt) {
		case 'r':
			ws.ws_row = atoi(optarg);
			break;
		case 'c':
			ws.ws_col = atoi(optarg);
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'a':
			if (nr_actions == 64)
				die("too many actions");
			actions[nr_actions++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-r ROWS] [-c COLS] [-t TIMEOUT] [-a ACTION]... -- CMD...\n",
				argv[0]);
			return 2;
		}
	}
	if (optind >= argc)
		die("no CMD");
	deadline = now_s() + timeout;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) || unlockpt(master) ||
	    !(name = ptsname(master)))
		die("no pty");
	/* our own fd on the slave: its modes, before and after CMD */
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0 || ioctl(slave, TIOCSWINSZ, &ws) ||
	    tcgetattr(slave, &before))
		die("pty slave");
	setvbuf(stdout, NULL, _IONBF, 0);

	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		int fd;

		setsid();
		fd = open(name, O_RDWR);
		if (fd < 0 || ioctl(fd, TIOCSCTTY, 0))
			_exit(126);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}

	for (i = 0; i < nr_actions; i++)
		action(actions[i]);
	while (child_status < 0)
		pump(50);
	/* what is left to read; our slave fd keeps the pty from EIO */
	for (i = 0; i < 4; i++)
		pump(20);
	if (tcgetattr(slave, &after))
		die("tcgetattr");
	printf("\nTSMBPF-PTY exit=%d termios=%s\n", child_status,
	       termios_same(&before, &after) ? "restored" : "changed");
	return 0;
}
