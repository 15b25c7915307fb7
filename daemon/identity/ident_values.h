/*
 * Directory values made into licd's facts, and user names made into
 * search filters.  Pure and bounded: no I/O, no allocation.
 */
#ifndef LICD_IDENT_VALUES_H
#define LICD_IDENT_VALUES_H

#include <stddef.h>
#include <stdint.h>

/*
 * Escapes value for an LDAP search filter (RFC 4515): '*', '(', ')', '\'
 * and NUL, and every byte outside printable ASCII, become \XX.  len is
 * the value's length (it may hold NUL bytes).  Returns the escaped length,
 * or -1 when it does not fit in out (cap bytes with the NUL).
 */
int ident_filter_escape(const char *value, size_t len, char *out, size_t cap);

/*
 * Builds the search filter from a template with one "%s" (checked by the
 * configuration) and the user name, escaped.  Returns 0 or -1 when it
 * does not fit.
 */
int
ident_filter_build(const char *tmpl, const char *user, char *out, size_t cap);

/*
 * The unit code a directory value names: a DN
 * ("ou=chem,ou=units,dc=example,dc=org", as eduPersonOrgUnitDN holds)
 * gives the value of its first RDN ("chem"); any other value is the code
 * itself.  Backslash escapes in the RDN value are decoded; a code that is
 * empty, too long (cap bytes with the NUL) or holds a byte outside
 * [A-Za-z0-9._-] is refused.  Returns 0 or -1.
 */
int ident_unit_code(const char *value, size_t len, char *out, size_t cap);

/*
 * A status from an affiliation value: "staff" as it is, and a scoped one
 * ("student@ox.ac.uk") without its scope.  Lower-cased; returns 0, or -1
 * for an empty, overlong or non-printable status.
 */
int ident_status(const char *value, size_t len, char *out, size_t cap);

/*
 * An LDAP GeneralizedTime ("20270131235959Z", seconds and fraction
 * optional, "Z" or a +HHMM/-HHMM offset), or a plain date "YYYYMMDD" or
 * "YYYY-MM-DD" (the end of that day, UTC), as milliseconds since the
 * epoch.  Returns 0 or -1.
 */
int ident_time(const char *value, size_t len, int64_t *ms);

#endif
