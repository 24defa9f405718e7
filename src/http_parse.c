/* http_parse.c: placeholder until its module is written. */
typedef int pc__http_parse_placeholder;
