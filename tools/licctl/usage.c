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
	    "       licctl stat -c PORT@HOST [-a] [-f FEATURE] [-i]"
	    " [-t SECONDS]\n"
	    "       licctl lmstat [lmstat flags]   (also as \"lmstat\" or"
	    " \"lmutil lmstat\")\n"
	    "       licctl remove [--state-dir DIR] HANDLE\n"
	    "       licctl remove [--state-dir DIR] FEATURE USER HOST"
	    " [DISPLAY]\n"
	    "       licctl reread [--state-dir DIR]\n"
	    "       licctl journal verify --state-dir DIR\n"
	    "       licctl journal show --state-dir DIR [--from SEQ]"
	    " [--limit N]\n"
	    "       licctl version\n"
	    "       licctl help\n"
	    "\n"
	    "Without -c, the server list comes from LICD_LICENSE_FILE or\n"
	    "LM_LICENSE_FILE (\"27000@lic1,27000@lic2\"; ':' works too).\n"
	    "\n"
	    "stat without -a lists only the features in use; -a lists every\n"
	    "feature, -f only the one named.\n"
	    "\n"
	    "remove and reread talk to licd's admin socket, admin.sock in\n"
	    "its state directory (--socket PATH to name another); only root,\n"
	    "licd's user and its admin group may use them.\n"
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
