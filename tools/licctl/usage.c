/*
 * licctl's usage text and the helpers its subcommands share.
 */
#include <stdio.h>
#include <stdlib.h>

#include "licctl.h"

void
licctl_usage(FILE *out)
{
	fprintf(out,
	    "usage: licctl run -c PORT@HOST -f FEATURE[:VERSION] [-f ...]\n"
	    "                  [-n COUNT] [--queue] [--wait SECONDS]"
	    " -- CMD [ARGS]\n"
	    "       licctl stat -c SERVERS [-a] [-f FEATURE] [-i]"
	    " [-t SECONDS]\n"
	    "       licctl remove [--state-dir DIR] HANDLE\n"
	    "       licctl remove [--state-dir DIR] FEATURE USER HOST"
	    " [DISPLAY]\n"
	    "       licctl reread|down|newlog [--state-dir DIR |"
	    " --socket PATH]\n"
	    "       licctl export --state-dir DIR [--from DATE] [--to DATE]\n"
	    "                     [--format csv|jsonl] [--feature F]"
	    " [--unit U]\n"
	    "       licctl usage --state-dir DIR --from DATE --to DATE\n"
	    "                    [--by unit|feature|user|host]"
	    " [--format table|csv]\n"
	    "       licctl chargeback --state-dir DIR --period YYYY-MM|YYYY"
	    " --costs FILE\n"
	    "                    --basis seat-hours|peak|users|activations|"
	    "equal\n"
	    "                    [--format table|csv]\n"
	    "       licctl renewals --config licd.conf [--state-dir DIR]"
	    " [--within 90d]\n"
	    "                    [--at DATE] [--format table|csv]\n"
	    "       licctl keygen [--out PREFIX]\n"
	    "       licctl sign --key PRIVATE-KEY [-o OUT|-] FILE\n"
	    "       licctl journal verify --state-dir DIR\n"
	    "       licctl journal show --state-dir DIR [--from SEQ]"
	    " [--limit N]\n"
	    "       licctl version\n"
	    "       licctl help\n"
	    "\n"
	    "lmutil commands, as \"licctl CMD\", \"lmutil CMD\" or CMD"
	    " (a link named so):\n"
	    "       lmstat [-c SERVERS] [-a] [-A] [-f [FEATURE]]"
	    " [-i [FEATURE]] [-l [REGEX]]\n"
	    "              [-s [HOST]] [-S [VENDOR]] [-t SECONDS] [-v]\n"
	    "       lmremove [-c SERVERS] FEATURE USER USER_HOST [DISPLAY]\n"
	    "       lmremove [-c SERVERS] -h FEATURE SERVER_HOST PORT"
	    " HANDLE\n"
	    "       lmreread [-c SERVERS]\n"
	    "       lmdown [-c SERVERS] [-q] [-force]\n"
	    "       lmnewlog [-c SERVERS]\n"
	    "       lmdiag [-c SERVERS] [-n] [FEATURE]\n"
	    "       lmver\n"
	    "       lmhostid [-n] [-ether | -hostname | -internet]\n"
	    "\n"
	    "SERVERS is a list of PORT@HOST (',' between them), licence\n"
	    "files whose SERVER lines name the servers, or folders of .lic\n"
	    "files, ':' between entries.  Without -c it comes from\n"
	    "LICD_LICENSE_FILE or LM_LICENSE_FILE.\n"
	    "\n"
	    "stat without -a lists only the features in use; -a lists every\n"
	    "feature, -f only the one named.  lmstat, as FlexLM's, lists no\n"
	    "feature without -a, -A (those in use), -f, -l or -S.\n"
	    "\n"
	    "remove, reread, down and newlog (and lmremove, lmreread,\n"
	    "lmdown, lmnewlog) talk to licd's admin socket, admin.sock in\n"
	    "its state directory (--state-dir DIR, LICD_STATE_DIR; else\n"
	    "/run/licd/admin.sock, as packaged, or /var/lib/licd; --socket\n"
	    "PATH to name another); only root,\n"
	    "licd's user and its admin group may use them.  The lm forms\n"
	    "take -c and leave it aside: the socket is local.  lmdown asks\n"
	    "first when run from a terminal without -q.\n"
	    "\n"
	    "lmdiag checks one seat out and back in for each feature that\n"
	    "has seats free, as the calling user, so that the options\n"
	    "file's rules answer too (the journal records it); -n judges\n"
	    "from the counts only.  lmborrow and lmswitchr are not\n"
	    "provided yet.\n"
	    "\n"
	    "Reports read every journal file in the state directory, with\n"
	    "licd running or stopped.  DATE is YYYY-MM-DD or ISO 8601 (UTC\n"
	    "unless it says otherwise); --from is inclusive, --to exclusive,\n"
	    "but a bare date as --to includes that whole day.  export\n"
	    "columns: seq, time, type, frontend, feature, version, count,\n"
	    "unit, user, host, display, address, machine_id, handle,\n"
	    "in_use_after, duration_ms, reason, detail (CSV per RFC 4180\n"
	    "with CRLF, or JSON lines).  usage counts seat-hours from\n"
	    "checkout (or --from) to checkin (or --to); activations stay 0\n"
	    "until the KMS front end exists.  chargeback shares each\n"
	    "feature's per-year cost x days/days-in-year by largest\n"
	    "remainder, so the amounts add up exactly; units with no use\n"
	    "pay nothing except on the equal basis.  renewals lists lines\n"
	    "expiring within the window with the last 365 days' peak,\n"
	    "users, units and denials.\n"
	    "\n"
	    "keygen writes an Ed25519 key pair, PREFIX.key (mode 0600) and\n"
	    "PREFIX.pub (default prefix licd-signing), and never overwrites.\n"
	    "sign adds a licd signature to every FEATURE, INCREMENT, UPGRADE\n"
	    "and PACKAGE line, in place unless -o is given (- for standard\n"
	    "output); licd checks them against trusted-keys in licd.conf.\n"
	    "\n"
	    "Exit status: 0 on success.  The lmutil commands, stat, remove,\n"
	    "reread, down and newlog exit 1 when the server refuses, is not\n"
	    "allowed to, or (lmstat, stat, lmdiag) no server answers; lmdiag\n"
	    "also when a feature cannot be checked out; 69 when licd's\n"
	    "admin socket cannot be reached (not running, or not allowed);\n"
	    "64 on a usage error.  FlexLM exits with the low byte of its\n"
	    "negative error number instead: scripts that test for zero or\n"
	    "non-zero read both alike.\n"
	    "\n"
	    "run exits with the command's status (128+N when killed by\n"
	    "signal N), 69 when seats are refused or no server answers, and\n"
	    "64 on a usage error.\n");
}

const char *
licctl_servers(const char *opt)
{
	const char *v;

	if (opt != NULL)
		return opt;
	v = getenv("LICD_LICENSE_FILE");
	if (v != NULL && v[0] != '\0')
		return v;
	v = getenv("LM_LICENSE_FILE");
	if (v != NULL && v[0] != '\0')
		return v;
	return NULL;
}
