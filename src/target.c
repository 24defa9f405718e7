/* target.c: placeholder until its module is written. */
typedef int pc__target_placeholder;
