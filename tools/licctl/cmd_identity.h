/*
 * licctl whois and licctl eligible: what licd believes about a person
 * from the directory, and a product's decision for them.
 */
#ifndef LICCTL_CMD_IDENTITY_H
#define LICCTL_CMD_IDENTITY_H

int cmd_whois(int argc, char **argv);
int cmd_eligible(int argc, char **argv);

#endif
