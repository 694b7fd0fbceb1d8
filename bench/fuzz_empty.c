/* The throughput ceiling for the benchmark: a fuzz target that does nothing, built with
 * the same engine, sanitizers and driver as the real ones, so execs/s of a real target
 * can be read as a fraction of what the engine itself allows on this machine. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;
	return 0;
}
