/*
 * licctl's KMS commands, on the client library's licd_kms_* calls.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../../include/licd.h"
#include "cmd_kms.h"
#include "licctl.h"

static void
kms_date(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0) {
		snprintf(buf, len, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* YYYY-MM-DD (midnight UTC) or YYYY-MM-DDTHH:MM[:SS][Z], UTC.  Returns
 * ms since the epoch, or -1. */
static int64_t
kms_parse_date(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	}
	if (end == NULL) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0))
		return -1;
	return (int64_t)timegm(&tm) * 1000;
}

static const char *
kms_duration(int s, char *buf, size_t len)
{
	if (s % 86400 == 0 && s >= 86400)
		snprintf(buf, len, "%d days", s / 86400);
	else if (s % 60 == 0 && s >= 60)
		snprintf(buf, len, "%d minutes", s / 60);
	else
		snprintf(buf, len, "%d seconds", s);
	return buf;
}

int
cmd_kms_activate(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"class", required_argument, NULL, 'C'},
	    {"machine-id", required_argument, NULL, 'm'},
	    {"unit", required_argument, NULL, 'u'},
	    {"host", required_argument, NULL, 'H'},
	    {"store", required_argument, NULL, 's'},
	    {"timeout", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	static const char usage[] =
	    "usage: licctl activate [-c PORT@HOST] -p PRODUCT "
	    "[--class client|server]\n"
	    "                       [--machine-id UUID] [--unit U] "
	    "[--host H] [--store FILE]\n";
	struct licd_kms_request req;
	struct licd_kms_reply r;
	const char *servers = NULL, *store = NULL;
	char err[512], d1[32], d2[64], d3[64];
	int ch, timeout = 0;

	memset(&req, 0, sizeof(req));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:p:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			servers = optarg;
			break;
		case 'p':
			req.product = optarg;
			break;
		case 'C':
			if (strcmp(optarg, "server") == 0)
				req.server_class = 1;
			else if (strcmp(optarg, "client") != 0) {
				fputs(usage, stderr);
				return LICCTL_EX_USAGE;
			}
			break;
		case 'm':
			req.machine_id = optarg;
			break;
		case 'u':
			req.unit = optarg;
			break;
		case 'H':
			req.host = optarg;
			break;
		case 's':
			store = optarg;
			break;
		case 't':
			timeout = atoi(optarg) * 1000;
			break;
		default:
			fputs(usage, stderr);
			return LICCTL_EX_USAGE;
		}
	}
	if (req.product == NULL || optind != argc) {
		fputs(usage, stderr);
		return LICCTL_EX_USAGE;
	}
	if (licd_kms_activate(servers, &req, timeout, &r, err, sizeof(err)) ==
	    -1) {
		fprintf(stderr, "licctl activate: %s\n", err);
		return LICCTL_EX_UNAVAILABLE;
	}

	printf("product: %s\n", req.product);
	printf("server: %s\n", r.server);
	printf("result: %s\n", r.result_name);
	printf("count: %d\n", r.count);
	printf("threshold: %d\n", r.threshold);
	printf("unit: %s\n", r.unit);
	printf("retry interval: %s\n", kms_duration(r.retry_s, d2, sizeof(d2)));
	printf("renewal interval: %s\n",
	    kms_duration(r.renewal_s, d2, sizeof(d2)));
	printf("validity: %s\n", kms_duration(r.validity_s, d3, sizeof(d3)));
	if (!r.activated) {
		kms_date(licd_kms_next_request(&r, (int64_t)time(NULL) * 1000),
		    d1, sizeof(d1));
		printf("state: not activated; ask again at %s\n", d1);
		return LICCTL_EX_FAIL;
	}
	kms_date(r.activation.expires, d1, sizeof(d1));
	printf("machine: %s\n", r.activation.machine_id);
	printf("issued_ms: %lld\n", (long long)r.activation.issued);
	printf("expires_ms: %lld\n", (long long)r.activation.expires);
	printf("state: %s until %s\n", r.renewed ? "renewed" : "activated", d1);
	if (store != NULL) {
		if (licd_kms_store(store, &r.activation, err, sizeof(err)) ==
		    -1) {
			fprintf(stderr, "licctl activate: %s\n", err);
			return LICCTL_EX_FAIL;
		}
		printf("stored: %s\n", store);
	}
	return 0;
}

int
cmd_kms_verify(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"at", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	static const char usage[] = "usage: licctl verify-activation FILE "
				    "--key PUBLIC-KEY [--at DATE]\n";
	struct licd_kms_activation a;
	const char *key = NULL;
	char err[512], d[32];
	int64_t at = 0;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "k:", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			key = optarg;
			break;
		case 'a':
			at = kms_parse_date(optarg);
			if (at < 0) {
				fprintf(stderr,
				    "licctl verify-activation: "
				    "--at: expected YYYY-MM-DD or "
				    "YYYY-MM-DDTHH:MM:SSZ\n");
				return LICCTL_EX_USAGE;
			}
			break;
		default:
			fputs(usage, stderr);
			return LICCTL_EX_USAGE;
		}
	}
	if (key == NULL || optind != argc - 1) {
		fputs(usage, stderr);
		return LICCTL_EX_USAGE;
	}
	if (licd_kms_load(argv[optind], &a, err, sizeof(err)) == -1 ||
	    licd_kms_verify(&a, key, at, err, sizeof(err)) == -1) {
		printf("invalid: %s\n", err);
		return LICCTL_EX_FAIL;
	}
	kms_date(a.expires, d, sizeof(d));
	printf("valid: product=%s machine=%s unit=%s until %s\n", a.product,
	    a.machine_id, a.unit[0] ? a.unit : "-", d);
	return 0;
}

int
cmd_kms_status(int argc, char **argv)
{
	static const char *const names[] = {"activated", "below-threshold",
	    "capped", "unknown-product", "bad-request"};
	struct licd_kms_status st;
	const struct licd_kms_product *p;
	const char *servers = NULL;
	char err[512];
	size_t i, k;
	int ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch != 'c') {
			fprintf(stderr,
			    "usage: licctl kms-status "
			    "[-c PORT@HOST]\n");
			return LICCTL_EX_USAGE;
		}
		servers = optarg;
	}
	if (licd_kms_status_get(servers, 0, &st, err, sizeof(err)) == -1) {
		fprintf(stderr, "licctl kms-status: %s\n", err);
		return LICCTL_EX_FAIL;
	}
	printf("Key Management Service: licd %s on %s, port %d\n", st.version,
	    st.host, st.port);
	for (i = 0; i < st.nproducts; i++) {
		p = &st.products[i];
		printf("\nProduct: %s\n", p->name);
		printf("    Group: %s\n", p->group);
		printf("    Current count: %d\n", p->count);
		printf("    Activated machines: %d\n", p->activated);
		printf("    Threshold: %d client, %d server\n",
		    p->threshold_client, p->threshold_server);
		printf("    Listening on port: %d\n", st.port);
		printf(
		    "    Activation interval: %d minutes\n", p->retry_minutes);
		printf("    Renewal interval: %d days\n", p->renewal_days);
		printf("    Validity: %d days\n", p->validity_days);
		printf("    Window: %d days\n", p->window_days);
		if (p->cap > 0)
			printf("    Cap: %d machines\n", p->cap);
		else
			printf("    Cap: none\n");
		printf("    Requests received:\n");
		for (k = 0; k < 5; k++)
			printf("        %s: %llu\n", names[k],
			    (unsigned long long)p->requests[k]);
	}
	licd_kms_status_free(&st);
	return 0;
}

int
cmd_kms_machines(int argc, char **argv)
{
	struct licd_kms_machine *list;
	const char *servers = NULL, *product = NULL;
	char err[512], first[32], last[32], until[32];
	int64_t now = (int64_t)time(NULL) * 1000;
	size_t n, i;
	int ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "c:p:")) != -1) {
		switch (ch) {
		case 'c':
			servers = optarg;
			break;
		case 'p':
			product = optarg;
			break;
		default:
			fprintf(stderr,
			    "usage: licctl kms-machines "
			    "[-c PORT@HOST] [-p PRODUCT]\n");
			return LICCTL_EX_USAGE;
		}
	}
	if (licd_kms_machines(
		servers, product, 0, &list, &n, err, sizeof(err)) == -1) {
		fprintf(stderr, "licctl kms-machines: %s\n", err);
		return LICCTL_EX_FAIL;
	}
	printf("%-36s %-16s %-16s %-6s %-16s %-16s %-20s %-20s %s\n", "MACHINE",
	    "GROUP", "PRODUCT", "CLASS", "HOST", "UNIT", "FIRST SEEN",
	    "LAST SEEN", "STATE");
	for (i = 0; i < n; i++) {
		kms_date(list[i].first_seen, first, sizeof(first));
		kms_date(list[i].last_seen, last, sizeof(last));
		kms_date(list[i].activated_until, until, sizeof(until));
		printf("%-36s %-16s %-16s %-6s %-16s %-16s %-20s %-20s %s%s\n",
		    list[i].machine_id, list[i].group, list[i].product,
		    list[i].server_class ? "server" : "client", list[i].host,
		    list[i].unit[0] ? list[i].unit : "-", first, last,
		    list[i].activated_until > now ? "activated until "
						  : "not activated",
		    list[i].activated_until > now ? until : "");
	}
	printf("%zu machines\n", n);
	free(list);
	return 0;
}

/* kms.sock: --socket, else in --state-dir, LICD_STATE_DIR or
 * /var/lib/licd. */
static void
kms_socket_path(char *buf, size_t len, const char *sock, const char *dir)
{
	if (sock != NULL) {
		snprintf(buf, len, "%s", sock);
		return;
	}
	if (dir == NULL)
		dir = getenv("LICD_STATE_DIR");
	if (dir == NULL || dir[0] == '\0')
		dir = "/var/lib/licd";
	snprintf(buf, len, "%s/kms.sock", dir);
}

int
cmd_kms_purge(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"state-dir", required_argument, NULL, 'd'},
	    {"socket", required_argument, NULL, 'S'},
	    {NULL, 0, NULL, 0},
	};
	static const char usage[] = "usage: licctl kms-purge [--state-dir DIR "
				    "| --socket PATH] GROUP UUID\n";
	const char *dir = NULL, *sock = NULL;
	char path[1100], err[512];
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		default:
			fputs(usage, stderr);
			return LICCTL_EX_USAGE;
		}
	}
	if (optind != argc - 2) {
		fputs(usage, stderr);
		return LICCTL_EX_USAGE;
	}
	kms_socket_path(path, sizeof(path), sock, dir);
	if (licd_kms_purge(path, argv[optind], argv[optind + 1], 0, err,
		sizeof(err)) == -1) {
		fprintf(stderr, "licctl kms-purge: %s\n", err);
		return strncmp(err, path, strlen(path)) == 0
		    ? LICCTL_EX_UNAVAILABLE
		    : LICCTL_EX_FAIL;
	}
	printf("purged: %s from %s\n", argv[optind + 1], argv[optind]);
	return 0;
}

int
cmd_kms_key(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"state-dir", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	char path[1100];
	EVP_PKEY *key = NULL;
	FILE *f;
	int ch, ok;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'd') {
			fprintf(stderr,
			    "usage: licctl kms-key [--state-dir DIR]\n");
			return LICCTL_EX_USAGE;
		}
		dir = optarg;
	}
	if (dir == NULL)
		dir = getenv("LICD_STATE_DIR");
	if (dir == NULL || dir[0] == '\0')
		dir = "/var/lib/licd";

	/* kms.pub first: reading it needs no access to the private key. */
	snprintf(path, sizeof(path), "%s/kms.pub", dir);
	f = fopen(path, "r");
	if (f != NULL) {
		key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (key == NULL) {
		snprintf(path, sizeof(path), "%s/kms.key", dir);
		f = fopen(path, "r");
		if (f == NULL) {
			fprintf(stderr, "licctl kms-key: %s: %s\n", path,
			    strerror(errno));
			return LICCTL_EX_FAIL;
		}
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
		fprintf(
		    stderr, "licctl kms-key: %s: not an Ed25519 key\n", path);
		EVP_PKEY_free(key);
		return LICCTL_EX_FAIL;
	}
	ok = PEM_write_PUBKEY(stdout, key);
	EVP_PKEY_free(key);
	return ok ? 0 : LICCTL_EX_FAIL;
}

int
cmd_kms_srv(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"host", required_argument, NULL, 'H'},
	    {"port", required_argument, NULL, 'P'},
	    {"domain", required_argument, NULL, 'D'},
	    {"priority", required_argument, NULL, 'r'},
	    {"weight", required_argument, NULL, 'w'},
	    {"ttl", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	static const char usage[] =
	    "usage: licctl kms-srv --host HOST [--port PORT] [--domain D]\n"
	    "                      [--priority N] [--weight N] [--ttl S]\n";
	const char *host = NULL, *domain = NULL, *dot;
	long port = LICD_KMS_PORT, prio = 0, weight = 0, ttl = 3600;
	char owner[600];
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			host = optarg;
			break;
		case 'P':
			port = strtol(optarg, NULL, 10);
			break;
		case 'D':
			domain = optarg;
			break;
		case 'r':
			prio = strtol(optarg, NULL, 10);
			break;
		case 'w':
			weight = strtol(optarg, NULL, 10);
			break;
		case 't':
			ttl = strtol(optarg, NULL, 10);
			break;
		default:
			fputs(usage, stderr);
			return LICCTL_EX_USAGE;
		}
	}
	if (host == NULL || host[0] == '\0' || optind != argc || port < 1 ||
	    port > 65535 || prio < 0 || prio > 65535 || weight < 0 ||
	    weight > 65535 || ttl < 0) {
		fputs(usage, stderr);
		return LICCTL_EX_USAGE;
	}
	/* The zone: --domain, else what follows the host's first label. */
	if (domain == NULL) {
		dot = strchr(host, '.');
		domain = dot != NULL && dot[1] != '\0' ? dot + 1 : NULL;
	}
	if (domain != NULL)
		snprintf(owner, sizeof(owner), "_licd-kms._tcp.%s%s", domain,
		    domain[strlen(domain) - 1] == '.' ? "" : ".");
	else
		snprintf(owner, sizeof(owner), "_licd-kms._tcp");
	printf("%s %ld IN SRV %ld %ld %ld %s%s\n", owner, ttl, prio, weight,
	    port, host, host[strlen(host) - 1] == '.' ? "" : ".");
	return 0;
}
