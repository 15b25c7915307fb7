/*
 * The server list of lmutil's -c: "port@host" entries, licence files whose
 * SERVER lines name the servers, and folders of such files, in any mix,
 * with ':' between independent entries and ',' inside a redundant list,
 * as LM_LICENSE_FILE holds them.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/license.h"
#include "licctl.h"

/* FlexLM's default port when a SERVER line names none. */
#define SERVERS_DEFAULT_PORT 27000

static int
servers_add(struct licctl_servers *sv, const char *port, const char *host,
    char *err, size_t errlen)
{
	struct licctl_server *s;
	size_t i;

	for (i = 0; i < sv->n; i++)
		if (strcmp(sv->list[i].port, port) == 0 &&
		    strcmp(sv->list[i].host, host) == 0)
			return 0;
	if (sv->n == LICCTL_SERVERS_MAX) {
		snprintf(
		    err, errlen, "more than %d servers", LICCTL_SERVERS_MAX);
		return -1;
	}
	if (strlen(port) >= sizeof(s->port) ||
	    strlen(host) >= sizeof(s->host)) {
		snprintf(err, errlen, "server name too long: %.60s", host);
		return -1;
	}
	s = &sv->list[sv->n++];
	snprintf(s->port, sizeof(s->port), "%s", port);
	snprintf(s->host, sizeof(s->host), "%s", host);
	snprintf(s->name, sizeof(s->name), "%s@%s", port, host);
	return 0;
}

/* One "port@host", "@host" or "port" entry. */
static int
servers_add_entry(
    struct licctl_servers *sv, const char *e, char *err, size_t errlen)
{
	char port[16], host[256];
	const char *at;
	size_t plen;

	at = strchr(e, '@');
	plen = at != NULL ? (size_t)(at - e) : strlen(e);
	if (plen >= sizeof(port) || strspn(e, "0123456789") != plen) {
		snprintf(err, errlen, "bad server \"%.100s\"", e);
		return -1;
	}
	if (plen == 0)
		snprintf(port, sizeof(port), "%d", SERVERS_DEFAULT_PORT);
	else
		snprintf(port, sizeof(port), "%.*s", (int)plen, e);
	snprintf(host, sizeof(host), "%s", at != NULL ? at + 1 : "localhost");
	if (host[0] == '\0') {
		snprintf(err, errlen, "bad server \"%.100s\"", e);
		return -1;
	}
	return servers_add(sv, port, host, err, errlen);
}

/* The SERVER lines of one licence file.  Other lines may be in a vendor's
 * syntax licd does not take: only the SERVER lines matter here. */
static int
servers_add_file(
    struct licctl_servers *sv, const char *path, char *err, size_t errlen)
{
	struct core_license_file lf;
	struct diag diag;
	char port[16];
	size_t i;
	int rc = 0;

	memset(&lf, 0, sizeof(lf));
	diag_init(&diag);
	(void)license_load(path, &lf, &diag);
	if (lf.nservers == 0) {
		if (diag.n > 0 && diag.msgs[0].line == 0)
			snprintf(
			    err, errlen, "%s: %s", path, diag.msgs[0].text);
		else
			snprintf(err, errlen, "%s: no SERVER line", path);
		rc = -1;
	}
	for (i = 0; rc == 0 && i < lf.nservers; i++) {
		snprintf(port, sizeof(port), "%d",
		    lf.servers[i].port > 0 ? lf.servers[i].port
					   : SERVERS_DEFAULT_PORT);
		rc = servers_add(sv, port, lf.servers[i].host, err, errlen);
	}
	license_free(&lf);
	diag_free(&diag);
	return rc;
}

static int
lic_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder: every *.lic file in it, in name order, as FlexLM reads one. */
static int
servers_add_dir(
    struct licctl_servers *sv, const char *dir, char *err, size_t errlen)
{
	struct dirent *de;
	char *names[256], path[1024];
	size_t n = 0, i, len;
	DIR *d;
	int rc = 0;

	d = opendir(dir);
	if (d == NULL) {
		snprintf(err, errlen, "%s: cannot open the folder", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL && n < 256) {
		len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".lic") == 0 &&
		    (names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), lic_name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (rc == 0)
			rc = servers_add_file(sv, path, err, errlen);
		free(names[i]);
	}
	if (rc == 0 && n == 0) {
		snprintf(err, errlen, "%s: no .lic file in the folder", dir);
		rc = -1;
	}
	return rc;
}

/* A word is a server when it holds '@' or is a bare port number. */
static int
is_server(const char *w)
{
	return strchr(w, '@') != NULL ||
	    (w[0] != '\0' && strspn(w, "0123456789") == strlen(w));
}

static int
servers_add_word(struct licctl_servers *sv, char *w, char *err, size_t errlen)
{
	struct stat sb;
	char *p, *save = NULL;

	if (!is_server(w) && strchr(w, ',') == NULL) {
		if (stat(w, &sb) == -1) {
			snprintf(err, errlen,
			    "%.200s: no such licence file or folder", w);
			return -1;
		}
		return S_ISDIR(sb.st_mode)
		    ? servers_add_dir(sv, w, err, errlen)
		    : servers_add_file(sv, w, err, errlen);
	}
	for (p = strtok_r(w, ",", &save); p != NULL;
	     p = strtok_r(NULL, ",", &save))
		if (servers_add_entry(sv, p, err, errlen) == -1)
			return -1;
	return 0;
}

int
licctl_servers_resolve(
    const char *spec, struct licctl_servers *sv, char *err, size_t errlen)
{
	char *copy, *w, *p;
	int rc = 0, depth = 0, last;

	memset(sv, 0, sizeof(*sv));
	copy = strdup(spec);
	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* ':' separates entries, except inside "[v6-address]". */
	for (w = p = copy; rc == 0; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		if (*p != '\0' && (*p != ':' || depth > 0))
			continue;
		last = *p == '\0';
		*p = '\0';
		if (w[0] != '\0')
			rc = servers_add_word(sv, w, err, errlen);
		if (last)
			break;
		w = p + 1;
	}
	free(copy);
	if (rc == 0 && sv->n == 0) {
		snprintf(err, errlen, "no server in \"%.200s\"", spec);
		rc = -1;
	}
	return rc;
}

void
licctl_servers_join(const struct licctl_servers *sv, size_t first, size_t count,
    char *buf, size_t len)
{
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = first; i < sv->n && i < first + count; i++) {
		n = snprintf(buf + used, len - used, "%s%s",
		    i > first ? "," : "", sv->list[i].name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}
