// SPDX-License-Identifier: GPL-2.0
/*
 * tsmctl serve: the latency maps as a Prometheus endpoint, like
 * cloudflare's ebpf_exporter.  Loads and attaches the tracing programs
 * (lat.c), then serves GET /metrics over HTTP/1.1, reading the maps on
 * every scrape; metrics.c renders the exposition.  One thread, one
 * ppoll() loop over the listening socket and up to SERVE_MAX_CLIENTS
 * non-blocking connections, so that a slow or idle client holds up
 * nobody; each gets its whole response and the connection is closed.
 * Runs until SIGINT or SIGTERM and exits 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lat.h"
#include "main.h"
#include "metrics.h"

#define SERVE_DEFAULT_LISTEN	"127.0.0.1:9464"
#define SERVE_MAX_CLIENTS	32
#define SERVE_REQ_MAX		8192
#define SERVE_TIMEOUT_MS	10000	/* per connection, request to last byte */

struct serve_client {
	int fd;
	uint64_t deadline_ms;
	size_t req_len;
	char req[SERVE_REQ_MAX];
	char *resp;		/* malloc'ed; NULL while reading the request */
	size_t resp_len, resp_off;
};

struct serve {
	int lfd;
	struct lat *lat;
	struct metrics_opts mopts;
	struct serve_client *cl[SERVE_MAX_CLIENTS];
	unsigned long scrapes;
};

static volatile sig_atomic_t serve_stop;

static void serve_on_signal(int sig)
{
	serve_stop = sig;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * "127.0.0.1:9464", "0.0.0.0:9464", "[::1]:9464", "[::]:9464": numeric
 * addresses only, so that what is bound is what was asked.
 */
static int serve_parse_listen(const char *s, struct sockaddr_storage *ss,
			      socklen_t *len)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	char host[64], *end;
	const char *colon;
	unsigned long port;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':') {
			p_err("--listen '%s': an IPv6 address takes the form [ADDR]:PORT", s);
			return -EINVAL;
		}
		hlen = rb - s - 1;
		colon = rb + 1;
		s++;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			p_err("--listen '%s': no port; give ADDR:PORT, e.g. %s",
			      s, SERVE_DEFAULT_LISTEN);
			return -EINVAL;
		}
		hlen = colon - s;
	}
	if (hlen >= sizeof(host)) {
		p_err("--listen: address too long");
		return -EINVAL;
	}
	memcpy(host, s, hlen);
	host[hlen] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port == 0 || port > 65535) {
		p_err("--listen '%s': bad port '%s' (1..65535)", s, colon + 1);
		return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	p_err("--listen: bad address '%s': give a numeric IPv4 address, or IPv6 in brackets ([::1]:9464)",
	      host);
	return -EINVAL;
}

static int serve_listen(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (serve_parse_listen(addr, &ss, &len))
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		p_err("--listen %s: socket: %s", addr, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		p_err("--listen %s: %s%s", addr, strerror(errno),
		      errno == EADDRINUSE ? " (another exporter on that port?)" :
		      errno == EADDRNOTAVAIL ? " (not an address of this host)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

static void serve_client_close(struct serve *sv, int i)
{
	struct serve_client *c = sv->cl[i];

	close(c->fd);
	free(c->resp);
	free(c);
	sv->cl[i] = NULL;
}

/* The response, whole: HEAD gets the head GET would get (send_body false). */
static void serve_respond(struct serve_client *c, const char *status,
			  const char *type, const char *body, size_t body_len,
			  bool send_body)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	fprintf(f, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n\r\n", status, type, body_len);
	if (send_body && body_len)
		fwrite(body, 1, body_len, f);
	if (fclose(f)) {
		free(buf);
		return;
	}
	c->resp = buf;
	c->resp_len = len;
	c->resp_off = 0;
}

static void serve_text(struct serve_client *c, const char *status,
		       const char *msg)
{
	serve_respond(c, status, "text/plain; charset=utf-8", msg, strlen(msg),
		      true);
}

/* The exposition of a fresh snapshot, or a 500 saying why not. */
static void serve_metrics(struct serve *sv, struct serve_client *c, bool head)
{
	struct lat_snapshot snap;
	uint64_t t0 = now_ms();
	char *body = NULL, msg[128];
	size_t len = 0, nr_tdi;
	FILE *f;
	int err;

	err = lat_snapshot(sv->lat, &snap);
	if (err) {
		snprintf(msg, sizeof(msg), "reading the maps: %s\n",
			 strerror(-err));
		serve_text(c, "500 Internal Server Error", msg);
		return;
	}
	f = open_memstream(&body, &len);
	if (!f) {
		lat_snapshot_free(&snap);
		serve_text(c, "500 Internal Server Error", "out of memory\n");
		return;
	}
	err = metrics_prom_write(f, &snap, &sv->mopts);
	nr_tdi = snap.nr_tdi;
	lat_snapshot_free(&snap);
	if (fclose(f) || err) {
		free(body);
		serve_text(c, "500 Internal Server Error", "out of memory\n");
		return;
	}
	serve_respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
		      body, len, !head);
	free(body);
	sv->scrapes++;
	if (verbose)
		fprintf(stderr, "serve: scrape %lu: %zu bytes, %zu TDIs, %llu ms\n",
			sv->scrapes, len, nr_tdi,
			(unsigned long long)(now_ms() - t0));
}

/* A whole request head is in: answer it. */
static void serve_request(struct serve *sv, struct serve_client *c)
{
	char method[16], target[256], version[16];

	c->req[c->req_len] = 0;
	if (sscanf(c->req, "%15s %255s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		serve_text(c, "400 Bad Request", "bad request\n");
		return;
	}
	target[strcspn(target, "?")] = 0;	/* Prometheus adds no query, others may */
	if (strcmp(target, "/metrics")) {
		serve_text(c, "404 Not Found", "not found: the metrics are at /metrics\n");
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		serve_text(c, "405 Method Not Allowed", "GET /metrics\n");
		return;
	}
	serve_metrics(sv, c, !strcmp(method, "HEAD"));
}

static void serve_read(struct serve *sv, int i)
{
	struct serve_client *c = sv->cl[i];
	ssize_t n;

	n = read(c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		serve_client_close(sv, i);
		return;
	}
	c->req_len += n;
	c->req[c->req_len] = 0;
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
		serve_request(sv, c);
	else if (c->req_len == sizeof(c->req) - 1)
		serve_text(c, "431 Request Header Fields Too Large", "request too large\n");
	else
		return;		/* more to come */
	if (!c->resp)		/* no memory for any answer */
		serve_client_close(sv, i);
}

static void serve_write(struct serve *sv, int i)
{
	struct serve_client *c = sv->cl[i];
	ssize_t n;

	n = send(c->fd, c->resp + c->resp_off, c->resp_len - c->resp_off,
		 MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		serve_client_close(sv, i);
		return;
	}
	c->resp_off += n;
	if (c->resp_off == c->resp_len) {
		shutdown(c->fd, SHUT_WR);
		serve_client_close(sv, i);
	}
}

static void serve_accept(struct serve *sv)
{
	struct serve_client *c;
	int fd, i;

	for (;;) {
		for (i = 0; i < SERVE_MAX_CLIENTS && sv->cl[i]; i++)
			;
		if (i == SERVE_MAX_CLIENTS)
			return;		/* the rest wait in the backlog */
		fd = accept4(sv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->fd = fd;
		c->deadline_ms = now_ms() + SERVE_TIMEOUT_MS;
		sv->cl[i] = c;
	}
}

static int serve_loop(struct serve *sv, const sigset_t *unblocked)
{
	struct pollfd pfd[SERVE_MAX_CLIENTS + 1];
	int map[SERVE_MAX_CLIENTS + 1];
	int i, n, ret;

	while (!serve_stop) {
		uint64_t now = now_ms(), next = now + 1000;
		struct timespec ts;
		bool room = false;

		n = 0;
		for (i = 0; i < SERVE_MAX_CLIENTS; i++) {
			struct serve_client *c = sv->cl[i];

			if (!c) {
				room = true;
				continue;
			}
			if (now >= c->deadline_ms) {	/* too slow */
				serve_client_close(sv, i);
				room = true;
				continue;
			}
			if (c->deadline_ms < next)
				next = c->deadline_ms;
			pfd[n].fd = c->fd;
			pfd[n].events = c->resp ? POLLOUT : POLLIN;
			map[n++] = i;
		}
		if (room) {
			pfd[n].fd = sv->lfd;
			pfd[n].events = POLLIN;
			map[n++] = -1;
		}
		ts.tv_sec = (next - now) / 1000;
		ts.tv_nsec = (next - now) % 1000 * 1000000;
		ret = ppoll(pfd, n, &ts, unblocked);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			p_err("poll: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (map[i] < 0)
				serve_accept(sv);
			else if (pfd[i].revents & (POLLERR | POLLNVAL))
				serve_client_close(sv, map[i]);
			else if (sv->cl[map[i]]->resp)
				serve_write(sv, map[i]);
			else
				serve_read(sv, map[i]);
		}
	}
	return 0;
}

static int serve_help(void)
{
	printf("Usage: %s serve [--listen ADDR:PORT] [--no-tdi]\n"
	       "\n"
	       "Serve the latency maps as Prometheus text exposition (format 0.0.4)\n"
	       "at http://ADDR:PORT/metrics until SIGINT or SIGTERM.  Loads and attaches\n"
	       "the tracing programs for as long as it runs; counts start then.\n"
	       "\n"
	       "  --listen ADDR:PORT  numeric IPv4 address or [IPv6]:PORT (default %s)\n"
	       "  --no-tdi            no per-TDI histograms (tsmbpf_tdi_op_seconds)\n"
	       "  (tsmctl -v serve: one line per scrape on stderr, its size and time)\n"
	       "\n"
	       "Metrics and the Grafana dashboard: dashboards/README.md.\n",
	       bin_name, SERVE_DEFAULT_LISTEN);
	return 0;
}

int do_serve(int argc, char **argv)
{
	static const struct option options[] = {
		{ "listen",	required_argument,	NULL,	'l' },
		{ "no-tdi",	no_argument,		NULL,	'T' },
		{ "help",	no_argument,		NULL,	'h' },
		{ 0 }
	};
	const char *addr = SERVE_DEFAULT_LISTEN;
	struct lat_opts lopts = { .timeline = false };
	struct serve sv = { .lfd = -1 };
	struct sigaction sa = { .sa_handler = serve_on_signal };
	sigset_t block, old;
	int opt, i, ret;

	/* argv[0] is the first argument after "serve" (cmd_select) */
	argc++;
	argv--;
	optind = 0;	/* glibc: start over, main() used getopt too */
	while ((opt = getopt_long(argc, argv, "l:h", options, NULL)) >= 0) {
		switch (opt) {
		case 'l':
			addr = optarg;
			break;
		case 'T':
			sv.mopts.no_tdi = true;
			break;
		case 'h':
			return serve_help();
		default:
			fprintf(stderr, "Try '%s serve --help'.\n", bin_name);
			return -1;
		}
	}
	if (optind < argc) {
		if (!strcmp(argv[optind], "help"))
			return serve_help();
		p_err("serve: unexpected argument '%s'; try '%s serve --help'",
		      argv[optind], bin_name);
		return -1;
	}

	/* a bad address fails before anything is loaded */
	sv.lfd = serve_listen(addr);
	if (sv.lfd < 0)
		return -1;
	sv.lat = lat_open(&lopts);
	if (!sv.lat) {
		close(sv.lfd);
		return -1;
	}

	/* SIGINT/SIGTERM are blocked but while ppoll() waits: none is lost */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigdelset(&old, SIGINT);
	sigdelset(&old, SIGTERM);

	p_info("serving http://%s/metrics (Ctrl-C stops)", addr);
	ret = serve_loop(&sv, &old);
	p_info("serve: %s after %lu scrapes",
	       serve_stop ? strsignal(serve_stop) : "stopped", sv.scrapes);

	for (i = 0; i < SERVE_MAX_CLIENTS; i++)
		if (sv.cl[i])
			serve_client_close(&sv, i);
	close(sv.lfd);
	lat_close(sv.lat);
	return ret;
}
