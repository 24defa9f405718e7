/*
 * civil_time.h: milliseconds since the Unix epoch as a UTC calendar date and
 * time (pure), for the time stamps of the error and access logs.
 */
#ifndef PC_CIVIL_TIME_H
#define PC_CIVIL_TIME_H

#include <stdint.h>

typedef struct {
    int64_t year;
    unsigned month; /* 1-12 */
    unsigned day;   /* 1-31 */
    unsigned hour, min, sec, ms;
} pc_civil_t;

/* epoch_ms (not negative) as a proleptic Gregorian UTC date and time. */
void pc_civil_from_ms(int64_t epoch_ms, pc_civil_t *out);

#endif
