/* Hostile accesses: the guest reads and writes uhv's own memory, which is not
 * in its EPT. The guest cannot know where uhv is, so it asks the test hook
 * (UHV_HC_TEST_HOOK 1). With the EPT-violation skip armed (hook 2, the
 * instruction length 2 of "mov (%ebx),%eax" / "mov %eax,(%ebx)"), uhv reports
 * each violation and resumes after the instruction; hook 3 counts them. The
 * guest must survive, see nothing of uhv, and hypercalls must keep working.
 * Without the skip uhv would kill the guest, which ends the run instead. */
#include "selftest.h"

#define INSN_LEN	2
#define MARK		0x0badc0de

void check_hostile(void)
{
	struct hc_result r;
	u64 uhv_pa;
	u32 v, n0, n1, n2, n3;
	int vec, ret;

	if (!under_uhv) {
		test_skip("hostile", NOT_UHV);
		return;
	}
	r = hypercall(UHV_HC_TEST_HOOK, HOOK_UHV_ADDR, 0, 0, 0);
	if (r.eax != 0) {
		test_skip("hostile", "test hooks not available");
		printf("guest: UHV_HC_TEST_HOOK %u returned %d\n", HOOK_UHV_ADDR, (int)r.eax);
		return;
	}
	uhv_pa = ((u64)r.ecx << 32) | r.ebx;
	printf("guest: uhv says its image includes host-physical 0x%llx\n", uhv_pa);

	/* the hypercall interface must not hand out uhv's memory either */
	ret = hc(UHV_HC_CONSOLE_WRITE, (u32)uhv_pa, 16);
	test_check("hostile-console-uhv-memory", ret < 0 || uhv_pa > 0xffffffffULL,
		   "UHV_HC_CONSOLE_WRITE of uhv's memory returned %d, want an error", ret);

	if (uhv_pa > 0xfffffffcULL) {
		test_skip("hostile-access", "uhv is above 4 GiB, out of reach of a 32-bit guest");
		return;
	}
	ret = hc(UHV_HC_TEST_HOOK, HOOK_EPT_SKIP, INSN_LEN);
	if (ret != 0) {
		test_skip("hostile-access", "the EPT-violation skip hook is not available");
		return;
	}
	n0 = hc(UHV_HC_TEST_HOOK, HOOK_EPT_COUNT, 0);

	vec = try_read32((u32)uhv_pa, &v);
	n1 = hc(UHV_HC_TEST_HOOK, HOOK_EPT_COUNT, 0);
	test_check("hostile-read", vec < 0 && v == 0xdeadbeef && n1 == n0 + 1,
		   "read of uhv's memory: %s, value 0x%x (0xdeadbeef = untouched register), %u EPT "
		   "violations (want 1)", vector_name(vec), v, n1 - n0);

	vec = try_write32((u32)uhv_pa, MARK);
	n2 = hc(UHV_HC_TEST_HOOK, HOOK_EPT_COUNT, 0);
	test_check("hostile-write", vec < 0 && n2 == n1 + 1,
		   "write to uhv's memory: %s, %u EPT violations (want 1)", vector_name(vec),
		   n2 - n1);

	/* the same through a page-table mapping */
	u32 va = paging_on_with_window((u32)uhv_pa);
	vec = try_write32(va, MARK);
	int vec2 = try_read32(va, &v);
	paging_off();
	n3 = hc(UHV_HC_TEST_HOOK, HOOK_EPT_COUNT, 0);
	test_check("hostile-paged", vec < 0 && vec2 < 0 && v == 0xdeadbeef && n3 == n2 + 2,
		   "write/read through a PTE mapping 0x%x: %s/%s, value 0x%x, %u EPT violations "
		   "(want 2)", va, vector_name(vec), vector_name(vec2), v, n3 - n2);

	hc(UHV_HC_TEST_HOOK, HOOK_EPT_SKIP, 0);	/* disarm */
	r = hypercall(UHV_HC_VERSION, 0, 0, 0, 0);
	test_check("hostile-alive", r.eax == UHV_HC_ABI_VERSION && r.ebx == UHV_HC_SIGNATURE,
		   "after the attempts UHV_HC_VERSION returned 0x%x 0x%x", r.eax, r.ebx);
}
