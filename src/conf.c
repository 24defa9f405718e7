/* conf.c: placeholder until its module is written. */
typedef int pc__conf_placeholder;
