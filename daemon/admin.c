#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin.h"
#include "licd.h"
#include "log.h"

int
admin_resolve(struct licd *licd)
{
	struct group *gr;
	struct passwd *pw;
	size_t i;

	licd->admin_gid = (gid_t)-1;
	licd->admin_nuids = 0;
	if (licd->conf.admin_group[0] == '\0')
		return 0;

	gr = getgrnam(licd->conf.admin_group);
	if (gr == NULL) {
		log_warnx(
		    "admin-group %s: no such group", licd->conf.admin_group);
		return -1;
	}
	licd->admin_gid = gr->gr_gid;

	/* Supplementary members, by uid, so that a connection is checked
	 * without a directory lookup on the event loop.  XXX: membership
	 * changes are seen at the next reload only. */
	for (i = 0;
	     gr->gr_mem[i] != NULL && licd->admin_nuids < LICD_ADMIN_UIDS_MAX;
	     i++) {
		pw = getpwnam(gr->gr_mem[i]);
		if (pw != NULL)
			licd->admin_uids[licd->admin_nuids++] = pw->pw_uid;
	}
	return 0;
}

int
admin_listen(struct licd *licd)
{
	const char *path = licd->conf.admin_socket;
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	if (strcmp(path, "off") == 0)
		return -2;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);

	/* A socket left by a licd that was killed: the state directory's
	 * lock says no other licd runs here, so it is stale. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("admin socket %s: exists and is not a "
				  "socket",
			    path);
			return -1;
		}
		unlink(path);
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("admin socket");
		return -1;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("admin socket %s", path);
		close(fd);
		return -1;
	}
	umask(old);
	if (licd->admin_gid != (gid_t)-1 &&
	    chown(path, (uid_t)-1, licd->admin_gid) == -1)
		log_warn("admin socket %s: chown to group %s", path,
		    licd->conf.admin_group);
	if (listen(fd, 64) == -1) {
		log_warn("admin socket %s", path);
		close(fd);
		return -1;
	}
	log_info("listening: protocol=flex admin-socket=%s", path);
	return fd;
}

void
admin_unlink(struct licd *licd)
{
	if (strcmp(licd->conf.admin_socket, "off") != 0)
		unlink(licd->conf.admin_socket);
}

int
admin_peer_allowed(const struct licd *licd, int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t i;

	*uid = (uid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return 0;
	*uid = cred.uid;
	if (cred.uid == 0 || cred.uid == geteuid())
		return 1;
	if (licd->admin_gid != (gid_t)-1 && cred.gid == licd->admin_gid)
		return 1;
	for (i = 0; i < licd->admin_nuids; i++)
		if (licd->admin_uids[i] == cred.uid)
			return 1;
	return 0;
}
