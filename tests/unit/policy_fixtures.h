/*
 * policy_fixtures.h: list texts shared by the unit tests of the list
 * grammar (test_list_parse.c) and of the policy built from it
 * (test_policy.c).
 */
#ifndef PC_TESTS_UNIT_POLICY_FIXTURES_H
#define PC_TESTS_UNIT_POLICY_FIXTURES_H

/*
 * A StevenBlack-style hosts file. Only the last three lines are entries:
 * line 24 "0.0.0.0 ads.example.com" (CRLF), line 25 "0.0.0.0
 * tracker.example.net" (with a trailing comment) and line 26 with two
 * names, a.example and b.example. Everything before them is comments and
 * the usual boilerplate (localhost, broadcasthost, the IPv6 names, the sink
 * line "0.0.0.0 0.0.0.0"), which yields no rule.
 */
#define STEVENBLACK_HOSTS                                                 \
    "# Title: StevenBlack/hosts\n"                                        \
    "#\n"                                                                 \
    "# This hosts file is a merged collection of hosts\n"                 \
    "# ===============================================================\n" \
    "\n"                                                                  \
    "127.0.0.1 localhost\n"                                               \
    "127.0.0.1 localhost.localdomain\n"                                   \
    "127.0.0.1 local\n"                                                   \
    "255.255.255.255 broadcasthost\n"                                     \
    "::1 localhost\n"                                                     \
    "::1 ip6-localhost\n"                                                 \
    "::1 ip6-loopback\n"                                                  \
    "fe80::1%lo0 localhost\n"                                             \
    "ff00::0 ip6-localnet\n"                                              \
    "ff00::0 ip6-mcastprefix\n"                                           \
    "ff02::1 ip6-allnodes\n"                                              \
    "ff02::2 ip6-allrouters\n"                                            \
    "ff02::3 ip6-allhosts\n"                                              \
    "0.0.0.0 0.0.0.0\n"                                                   \
    "# End of custom host records.\n"                                     \
    "# Start StevenBlack\n"                                               \
    "\n"                                                                  \
    "# [Some ad network]\n"                                               \
    "0.0.0.0 ads.example.com\r\n"                                         \
    "0.0.0.0 tracker.example.net # trailing\n"                            \
    "0.0.0.0 a.example b.example\n"

#endif
