// Counts the heap allocations of the process it is linked into: BoltMicroBench links it so that
// `malloc` and its siblings resolve here (the executable's definitions come before libc's for every
// library in the process, the Swift runtime's included) and forward to glibc's own entry points.
#ifndef C_ALLOCATION_COUNTER_H
#define C_ALLOCATION_COUNTER_H

#include <stdint.h>

/// Allocations (malloc, calloc, realloc of a new block, the aligned forms) made so far, all threads.
uint64_t sluice_allocation_count(void);

/// Bytes requested by those allocations.
uint64_t sluice_allocated_bytes(void);

#endif
