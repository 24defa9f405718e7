/* addr.c: placeholder until its module is written. */
typedef int pc__addr_placeholder;
