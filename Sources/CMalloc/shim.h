#ifndef SLUICE_CMALLOC_SHIM_H
#define SLUICE_CMALLOC_SHIM_H
/// glibc's mallopt(3), which Swift's Glibc module does not export.
#include <malloc.h>
#endif
