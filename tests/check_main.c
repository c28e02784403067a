/* SPDX-License-Identifier: MIT */
/*
 * The one Check main: every suite is listed here explicitly. With an
 * argument, runs only the suite of that name (ctest runs each on its own).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wtls.h"

Suite *util_suite(void);
Suite *smtp_suite(void);
Suite *scenario_suite(void);
Suite *wtls_suite(void);
Suite *cert_suite(void);
Suite *report_suite(void);
Suite *conn_suite(void);
Suite *exec_suite(void);
Suite *refsrv_suite(void);
Suite *client_suite(void);
Suite *hello_suite(void);
Suite *probe_suite(void);
Suite *serve_suite(void);
Suite *catalog_suite(void);
Suite *policy_suite(void);
Suite *runner_suite(void);
Suite *preconditions_suite(void);
Suite *mtasts_suite(void);
Suite *dns_suite(void);
Suite *attack_suite(void);

static const struct {
	const char *name;
	Suite *(*make)(void);
} suites[] = {
	{"util", util_suite},     {"smtp", smtp_suite}, {"scenario", scenario_suite},
	{"wtls", wtls_suite},     {"cert", cert_suite}, {"report", report_suite},
	{"conn", conn_suite},     {"exec", exec_suite}, {"refsrv", refsrv_suite},
	{"client", client_suite}, {"hello", hello_suite},   {"probe", probe_suite},
	{"serve", serve_suite},   {"catalog", catalog_suite}, {"policy", policy_suite},
	{"runner", runner_suite},
	{"preconditions", preconditions_suite},
	{"mtasts", mtasts_suite},
	{"dns", dns_suite},
	{"attack", attack_suite},
};

int main(int argc, char **argv)
{
	SRunner *sr = NULL;
	int found = 0;

	wtls_global_init();
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
		if (argc > 1 && strcmp(argv[1], suites[i].name) != 0)
			continue;
		found++;
		if (sr == NULL)
			sr = srunner_create(suites[i].make());
		else
			srunner_add_suite(sr, suites[i].make());
	}
	if (!found) {
		fprintf(stderr, "check_stark: no suite named %s\n", argv[1]);
		return 2;
	}
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
