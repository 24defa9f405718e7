/* http_rewrite.c: placeholder until its module is written. */
typedef int pc__http_rewrite_placeholder;
