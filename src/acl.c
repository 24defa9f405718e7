/* acl.c: placeholder until its module is written. */
typedef int pc__acl_placeholder;
