/* SPDX-License-Identifier: MIT */
/* driver_libfuzzer: libFuzzer's entry points on top of the contract in fuzz.h. */
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len);

static void cleanup(void)
{
	FuzzerCleanup();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int rc = FuzzerInitialize(argc, argv);
	atexit(cleanup);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	return FuzzerTestOneInput(buf, len);
}
