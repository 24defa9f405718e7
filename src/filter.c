/* filter.c: placeholder until its module is written. */
typedef int pc__filter_placeholder;
