/* units.c — human-readable times and sizes ("12.0 ms", "2.40 GB") for tables, summaries and plots. */
#include "ppsim.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct unit_step {
    double scale;
    const char *name;
} unit_step;

/* Smallest unit first. */
static const unit_step time_units[] = {{1e9, "ns"}, {1e6, "µs"}, {1e3, "ms"}, {1, "s"}};
static const unit_step byte_units[] = {{1, "B"},     {1e-3, "kB"},  {1e-6, "MB"},
                                       {1e-9, "GB"}, {1e-12, "TB"}, {1e-15, "PB"}};

/* The largest unit in which `largest` shows as at least 1 (0.9995 rounds to "1.00", so 999.5 µs
 * is "1.00 ms", never "1000 µs"); the first unit when none is. */
static pps_unit pick(const unit_step *u, size_t n, double largest)
{
    size_t k = 0;
    double v = fabs(largest);
    if (isfinite(v) && v > 0)
        for (size_t i = 0; i < n; i++)
            if (v * u[i].scale >= 1 - 5e-4)
                k = i;
    return (pps_unit){u[k].scale, u[k].name};
}

pps_unit pps_unit_time(double largest)
{
    /* Zero and non-finite values are shown in seconds. */
    if (!isfinite(largest) || largest == 0)
        return (pps_unit){1, "s"};
    return pick(time_units, sizeof time_units / sizeof *time_units, largest);
}

pps_unit pps_unit_bytes(double largest)
{
    return pick(byte_units, sizeof byte_units / sizeof *byte_units, largest);
}

int pps_format_number(double value, pps_unit u, char *buf, size_t size)
{
    double v = value * u.scale;
    if (!isfinite(v))
        return snprintf(buf, size, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
    if (v == 0)
        return snprintf(buf, size, "0");
    /* A whole number of bytes under 1 kB is shown as it is: "4", not "4.00". */
    if (u.scale == 1 && strcmp(u.name, "B") == 0 && v == floor(v) && fabs(v) < 1e3)
        return snprintf(buf, size, "%.0f", v);
    /* Three significant digits: decimals = 2 - (digits before the point - 1), at least 0.
     * Rounding can carry into the next decade (9.996 -> 10.00), so decide on the rounded value. */
    int decimals = 2 - (int)floor(log10(fabs(v)));
    if (decimals > 0) {
        double p = pow(10, decimals);
        double r = round(fabs(v) * p) / p;
        if (r > 0 && (int)floor(log10(r)) > 2 - decimals)
            decimals--;
    }
    if (decimals < 0)
        decimals = 0;
    return snprintf(buf, size, "%.*f", decimals, v);
}

/* value in unit u, then a space and the unit's name. */
static int format_with(double value, pps_unit u, char *buf, size_t size)
{
    char num[64];
    pps_format_number(value, u, num, sizeof num);
    return snprintf(buf, size, "%s %s", num, u.name);
}

int pps_format_time(double seconds, char *buf, size_t size)
{
    return format_with(seconds, pps_unit_time(seconds), buf, size);
}

int pps_format_bytes(double bytes, char *buf, size_t size)
{
    return format_with(bytes, pps_unit_bytes(bytes), buf, size);
}
