/*
 * civil_time.c: the Unix epoch to a calendar date (see civil_time.h), by
 * the days-from-civil arithmetic of eras of 400 years.
 */
#include "civil_time.h"

void
pc_civil_from_ms(int64_t epoch_ms, pc_civil_t *out)
{
    int64_t secs = epoch_ms / 1000, z, era;
    unsigned sod, doe, yoe, doy, mp;

    z = secs / 86400 + 719468;
    sod = (unsigned)(secs % 86400);
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    out->day = doy - (153 * mp + 2) / 5 + 1;
    out->month = mp < 10 ? mp + 3 : mp - 9;
    out->year = (int64_t)yoe + era * 400 + (out->month <= 2);
    out->hour = sod / 3600;
    out->min = sod / 60 % 60;
    out->sec = sod % 60;
    out->ms = (unsigned)(epoch_ms % 1000);
}
