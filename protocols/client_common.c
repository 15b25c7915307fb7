/* What the flex and sentinel clients share: see client_common.h. */
#include <sys/types.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "licd.h"
#include "protocols/client_common.h"

void
client_copy_name(char *dst, size_t size, const char *src)
{
	size_t n;

	if (src == NULL)
		src = "";
	n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int
client_list_split(const char *list,
    int (*fn)(void *arg, const char *entry, size_t n), void *arg)
{
	const char *p, *start;
	int depth = 0;
	size_t n;

	for (start = p = list;; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		if (*p != '\0' && !((*p == ',' || *p == ':') && depth == 0))
			continue;
		n = (size_t)(p - start);
		while (n > 0 && *start == ' ') {
			start++;
			n--;
		}
		while (n > 0 && start[n - 1] == ' ')
			n--;
		if (n > 0 && fn(arg, start, n) == -1)
			return -1;
		if (*p == '\0')
			break;
		start = p + 1;
	}
	return 0;
}

long
client_port_parse(const char *s, size_t plen, long dflt)
{
	long port = 0;
	size_t i;

	if (plen == 0)
		port = dflt;
	if (plen > 5)
		return -1;
	for (i = 0; i < plen; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		port = port * 10 + (s[i] - '0');
	}
	return port < 1 || port > 65535 ? -1 : port;
}

void
client_host_unbracket(const char **h, size_t *hlen)
{
	if (*hlen >= 2 && (*h)[0] == '[' && (*h)[*hlen - 1] == ']') {
		(*h)++;
		*hlen -= 2;
	}
}

void
client_identity(const struct licd_identity *id, struct client_names *names)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	const char *v;
	char *tty;

	v = id != NULL ? id->user : NULL;
	if (v == NULL)
		v = getenv("LICD_USER");
	if (v == NULL && getlogin_r(buf, sizeof(buf)) == 0)
		v = buf;
	if (v == NULL &&
	    getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL)
		v = pw.pw_name;
	client_copy_name(
	    names->user, names->user_size, v != NULL ? v : "unknown");

	v = id != NULL ? id->host : NULL;
	if (v == NULL) {
		if (gethostname(buf, sizeof(buf)) == -1)
			snprintf(buf, sizeof(buf), "unknown");
		buf[sizeof(buf) - 1] = '\0';
		v = buf;
	}
	client_copy_name(names->host, names->host_size, v);

	v = id != NULL ? id->display : NULL;
	if (v == NULL)
		v = getenv("DISPLAY");
	if (v == NULL && (tty = ttyname(STDIN_FILENO)) != NULL)
		v = tty;
	client_copy_name(names->display, names->display_size, v);

	v = id != NULL ? id->project : NULL;
	if (v == NULL)
		v = getenv("LM_PROJECT");
	client_copy_name(names->project, names->project_size, v);

	names->pid = id != NULL && id->pid != 0 ? id->pid : (long)getpid();
}
