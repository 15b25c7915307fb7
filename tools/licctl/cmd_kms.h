/*
 * licctl's KMS commands: activate, verify-activation, kms-status,
 * kms-machines, kms-purge, kms-key and kms-srv.  Each returns the exit
 * status.
 */
#ifndef LICCTL_CMD_KMS_H
#define LICCTL_CMD_KMS_H

int cmd_kms_activate(int argc, char **argv);
int cmd_kms_verify(int argc, char **argv);
int cmd_kms_status(int argc, char **argv);
int cmd_kms_machines(int argc, char **argv);
int cmd_kms_purge(int argc, char **argv);
int cmd_kms_key(int argc, char **argv);
int cmd_kms_srv(int argc, char **argv);

#endif
