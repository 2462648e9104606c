/* prodcheck (a word on the guest's command line): the selftest guest run
 * under uhv's PRODUCTION image (test/system/27-production-image.sh), which
 * must have no test hook (include/uhv/test_hooks.h): every UHV_HC_TEST_HOOK
 * (hooks 1..6) is an unknown hypercall, -ENOSYS, that hands out nothing, and
 * port 0x510 does not answer as the test variant's test port. Only these
 * checks run: the rest of the selftest needs the test variant. */
#include "selftest.h"

#define ENOSYS			38
#define NR_HOOKS		6
#define TEST_PORT_VALUE		0x75687600u	/* the test variant's answer: this | size */
#define UNTOUCHED		0x5a5a5a5au
#define EXIT_REASON_IO_INSTRUCTION	30

bool prodcheck_requested(void)
{
	static const char word[] = "prodcheck";
	const size_t n = sizeof(word) - 1;

	for (const char *p = boot.cmdline; *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, word, n) && (p[n] == ' ' || !p[n]))
			return true;
		while (*p && *p != ' ')
			p++;
	}
	return false;
}

static void check_hooks_gone(void)
{
	char name[32];

	for (u32 hook = 1; hook <= NR_HOOKS; hook++) {
		/* ECX 2 = a valid argument for hook 2 (arm the EPT-violation skip) */
		struct hc_result r = hypercall(UHV_HC_TEST_HOOK, hook, 2, UNTOUCHED, 0);

		snprintf(name, sizeof(name), "prod-hook-%u", hook);
		test_check(name, (int)r.eax == -ENOSYS && r.ebx == hook && r.ecx == 2 &&
			   r.edx == UNTOUCHED,
			   "UHV_HC_TEST_HOOK %u returned %d (want -ENOSYS, -38), ebx 0x%x ecx 0x%x "
			   "edx 0x%x (want them unchanged)", hook, (int)r.eax, r.ebx, r.ecx, r.edx);
	}
}

static void check_test_port_gone(void)
{
	u32 before = hc(UHV_HC_EXIT_COUNT, EXIT_REASON_IO_INSTRUCTION, 0);
	u32 l = inl(UHV_TEST_PORT);
	u16 w = inw(UHV_TEST_PORT);
	u8 b = inb(UHV_TEST_PORT);
	u32 after = hc(UHV_HC_EXIT_COUNT, EXIT_REASON_IO_INSTRUCTION, 0);

	printf("guest: port 0x510 read l 0x%x w 0x%x b 0x%x, %u I/O exit(s)\n", l, w, b,
	       after - before);
	test_check("prod-test-port", l != (TEST_PORT_VALUE | 4) && w != ((TEST_PORT_VALUE | 2) & 0xffff)
		   && b != 1, "port 0x510 answered as the test port: l 0x%x w 0x%x b 0x%x", l, w, b);
}

void check_production(void)
{
	if (!under_uhv) {
		test_skip("prodcheck", NOT_UHV);
		return;
	}
	struct hc_result r = hypercall(UHV_HC_VERSION, 0, 0, 0, 0);
	test_check("prod-hc-version", r.eax == UHV_HC_ABI_VERSION && r.ebx == UHV_HC_SIGNATURE,
		   "UHV_HC_VERSION returned 0x%x 0x%x", r.eax, r.ebx);
	check_hooks_gone();
	check_test_port_gone();
}
