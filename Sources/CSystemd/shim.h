#ifndef SLUICE_CSYSTEMD_SHIM_H
#define SLUICE_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/prctl.h>

/// prctl(2) is variadic, which Swift cannot call: these two fix its arguments.
static inline int sluice_set_dumpable(int dumpable) { return prctl(PR_SET_DUMPABLE, (unsigned long)dumpable, 0, 0, 0); }
static inline int sluice_get_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
#endif
