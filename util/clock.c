/* Seconds on the monotonic clock, and pauses measured in them. */
#include <errno.h>
#include <time.h>

#include "util/util.h"

double coil__now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void coil__pause_s(double s)
{
    if (s <= 0)
        return;
    time_t whole = (time_t)s;
    struct timespec ts = { whole, (long)((s - (double)whole) * 1e9) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
