/*
 * get-time-of-day / set-time-of-day: the guest's clock is the host's
 * UTC time plus an offset the guest sets (QEMU's -rtc base=utc,clock=host).
 */
#include "qemu/osdep.h"
#include "hw/ppc/spapr.h"
#include "hw/ppc/spapr_rtas.h"

static void rtas_get_time_of_day(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                 hwaddr args, uint32_t nret, hwaddr rets)
{
    gint64 now_us = g_get_real_time();
    g_autoptr(GDateTime) dt = NULL;

    if (nargs != 0 || nret != 8) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    dt = g_date_time_new_from_unix_utc(now_us / G_USEC_PER_SEC + spapr->rtc_offset_s);
    if (!dt) {
        rtas_st(rets, 0, RTAS_OUT_HW_ERROR);
        return;
    }
    rtas_st(rets, 0, RTAS_OUT_SUCCESS);
    rtas_st(rets, 1, g_date_time_get_year(dt));
    rtas_st(rets, 2, g_date_time_get_month(dt));
    rtas_st(rets, 3, g_date_time_get_day_of_month(dt));
    rtas_st(rets, 4, g_date_time_get_hour(dt));
    rtas_st(rets, 5, g_date_time_get_minute(dt));
    rtas_st(rets, 6, g_date_time_get_second(dt));
    rtas_st(rets, 7, (now_us % G_USEC_PER_SEC) * 1000);
}

static void rtas_set_time_of_day(SpaprMachine *spapr, uint32_t token, uint32_t nargs,
                                 hwaddr args, uint32_t nret, hwaddr rets)
{
    g_autoptr(GDateTime) dt = NULL;
    uint32_t year, mon, day, hour, min, sec, ns;

    if (nargs != 7 || nret != 1) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    year = rtas_ld(args, 0);
    mon = rtas_ld(args, 1);
    day = rtas_ld(args, 2);
    hour = rtas_ld(args, 3);
    min = rtas_ld(args, 4);
    sec = rtas_ld(args, 5);
    ns = rtas_ld(args, 6);
    /* GDateTime refuses impossible dates (month 13, Feb 30, hour 24...) */
    if (year < 1 || year > 9999 || ns >= 1000000000 || hour > 23 || min > 59 || sec > 59 ||
        !(dt = g_date_time_new_utc(year, mon, day, hour, min, sec))) {
        rtas_st(rets, 0, RTAS_OUT_PARAM_ERROR);
        return;
    }
    spapr->rtc_offset_s = g_date_time_to_unix(dt) - g_get_real_time() / G_USEC_PER_SEC;
    rtas_st(rets, 0, RTAS_OUT_SUCCESS);
}

void spapr_rtc_register(void)
{
    spapr_rtas_register(RTAS_GET_TIME_OF_DAY, "get-time-of-day", rtas_get_time_of_day);
    spapr_rtas_register(RTAS_SET_TIME_OF_DAY, "set-time-of-day", rtas_set_time_of_day);
}
