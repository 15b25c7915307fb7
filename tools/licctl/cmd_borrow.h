/*
 * licctl borrow and lmutil's lmborrow: seats taken for a period that
 * outlives the connection (BORROW lines), remembered in a local state
 * file so that they can be listed and given back early.
 */
#ifndef LICCTL_CMD_BORROW_H
#define LICCTL_CMD_BORROW_H

/* licctl borrow: borrow, --return, --status. */
int cmd_borrow(int argc, char **argv);

/* lmborrow with FlexLM's forms: -status, -return [-c ...] feature,
 * -clear, and vendor enddate [time] with licd's -c and -f. */
int cmd_lmborrow(int argc, char **argv);

#endif
