/*
 * licctl keygen and licctl sign: the site's own Ed25519 key, and licd
 * signatures on the lines of a licence file (config/signature.h).
 */
#ifndef LICCTL_CMD_SIGN_H
#define LICCTL_CMD_SIGN_H

/* licctl keygen [--out PREFIX]: writes PREFIX.key (private, 0600) and
 * PREFIX.pub (public, for trusted-keys).  Returns the exit status. */
int cmd_keygen(int argc, char **argv);

/* licctl sign --key PRIV [-o OUT] FILE: signs every FEATURE, INCREMENT,
 * UPGRADE and PACKAGE line of FILE, in place unless -o names another
 * file ("-" for standard output).  Returns the exit status. */
int cmd_sign(int argc, char **argv);

#endif
