/* list.h — the list of schedule rows, in the order `ppsim compare` and `gen --list` show them.
 * To add a schedule: write sim/schedules/NAME.c defining `const pps_generator
 * pps_schedule_NAME`, add PPS_SCHEDULE(NAME) here, and add the file to sim/meson.build. */
PPS_SCHEDULE(naive)
PPS_SCHEDULE(gpipe)
PPS_SCHEDULE(1f1b)
PPS_SCHEDULE(interleaved_1f1b)
PPS_SCHEDULE(looped_bfs)
PPS_SCHEDULE(zb_h1)
PPS_SCHEDULE(zb_h2)
PPS_SCHEDULE(zb_v)
PPS_SCHEDULE(interleaved_zb)
PPS_SCHEDULE(dualpipe_v)
PPS_SCHEDULE(zb_auto)
PPS_SCHEDULE(zb_v_auto)
