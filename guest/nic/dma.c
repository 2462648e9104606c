/* nictest's hostile DMA step (command-line word dma-attack=1; under uhv with VT-d only): the
 * guest owns the NIC, so it can tell the NIC to read and write any address. It aims the NIC at
 * uhv's own memory (a patterned area in uhv's image, test hook 4) and checks that VT-d stopped
 * every access: uhv records a fault for each (hook 5), the area keeps its checksum, uhv still
 * answers, and after a reset the NIC works again (main.c then runs ARP and the pings).
 *
 *   dma-write-blocked  an RX descriptor whose buffer is uhv's address; an ARP request makes the
 *                      gateway's reply arrive into it (a DMA write)
 *   dma-read-blocked   a TX descriptor whose buffer is uhv's address (a DMA read)
 *   dma-ring-blocked   the TX descriptor ring itself (TDBAL/TDBAH) at uhv's next page (a DMA
 *                      read of the descriptor)
 *   dma-uhv-alive      UHV_HC_VERSION still answers
 *
 * Each access is made only after uhv has taken the previous fault out of the fault registers:
 * QEMU's VT-d records nothing more from a device while one of its faults is pending. uhv finds
 * faults on its periodic poll (console-poll=, default every 10 ms), so console-poll=0 makes
 * these checks fail. Without
 * DMA remapping (hook 5 fails: no DMAR, iommu=off) nothing is attempted: the NIC would really
 * write uhv's memory. */
#include "nic.h"

#define TARGET_SIZE	8192	/* what hook 4 promises at least */
#define FAULT_WAIT_MS	2000
#define FRAME_LEN	60

struct target {
	u64 addr;
	u32 size, sum;
};

static bool get_target(struct target *t)
{
	struct hc_result r = hypercall(UHV_HC_TEST_HOOK, UHV_HOOK_DMA_TARGET, 0, 0, 0);

	if ((int)r.eax < TARGET_SIZE)
		return false;
	t->addr = r.ebx | (u64)r.ecx << 32;
	t->size = r.eax;
	t->sum = r.edx;
	return true;
}

static int vtd_faults(void)
{
	return hc(UHV_HC_TEST_HOOK, UHV_HOOK_VTD_FAULTS, 0);
}

/* Wait until uhv has recorded more than before faults; returns how many new ones. Only uhv's
 * own poll of the fault registers (on its VMX-preemption timer) finds them: hook 5 just reads
 * the count. */
static u32 new_faults(int before)
{
	u64 end = rdtsc() + (u64)FAULT_WAIT_MS * tsc_per_ms;
	int n;

	do {
		delay_ms(50);
		n = vtd_faults();
	} while (n <= before && rdtsc() < end);
	return n > before ? (u32)(n - before) : 0;
}

/* The checksum the hook reports now, against the one it reported first. */
static bool target_intact(const struct target *t, u32 *sum)
{
	struct target now;

	if (!get_target(&now) || now.addr != t->addr) {
		*sum = 0;
		return false;
	}
	*sum = now.sum;
	return now.sum == t->sum;
}

static void drain_rx(struct nic *n)
{
	unsigned len;

	while (nic_recv(n, &len))
		nic_rx_done(n);
}

/* (a) DMA write: the next RX descriptor's buffer is uhv's address. */
static void attack_rx(struct nic *n, const struct target *t, void (*provoke)(void))
{
	int f0 = vtd_faults();
	unsigned len = 0;
	bool got = false;
	u32 sum;

	drain_rx(n);
	nic_rx_aim(n, t->addr);
	for (int tries = 0; tries < 20 && !got; tries++) {	/* 4 s: QEMU's 1 s after RCTL */
		provoke();
		u64 end = rdtsc() + 200ull * tsc_per_ms;
		while (!(got = nic_recv(n, &len) != NULL) && rdtsc() < end)
			asm volatile("pause");
	}
	nic_rx_aim(n, 0);
	if (got)
		nic_rx_done(n);
	u32 nf = new_faults(f0);
	bool intact = target_intact(t, &sum);
	printf("guest: dma: RX buffer at 0x%llx: %s, uhv recorded %u new VT-d fault(s), checksum "
	       "0x%x\n", t->addr, got ? "a frame came (descriptor done)" : "no frame came", nf,
	       sum);
	if (got)
		printf("guest: dma: the frame was %u bytes\n", len);
	test_check("dma-write-blocked", got && nf >= 1 && intact,
		   "frame %s, %u new fault(s), checksum 0x%x (was 0x%x)",
		   got ? "received" : "never received", nf, sum, t->sum);
	drain_rx(n);
}

/* (b) DMA read: a TX descriptor whose buffer is uhv's address. */
static void attack_tx(struct nic *n, const struct target *t)
{
	int f0 = vtd_faults();
	u32 sum;

	int ret = nic_send_from(n, t->addr, FRAME_LEN);
	u32 nf = new_faults(f0);
	bool intact = target_intact(t, &sum);
	printf("guest: dma: TX buffer at 0x%llx: descriptor %s, uhv recorded %u new VT-d "
	       "fault(s), checksum 0x%x\n", t->addr, ret == 0 ? "done" : "not done", nf, sum);
	test_check("dma-read-blocked", nf >= 1 && intact,
		   "%u new fault(s), checksum 0x%x (was 0x%x)", nf, sum, t->sum);
}

/* (c) DMA read of the descriptor: the TX ring at uhv's next page. */
static void attack_tx_ring(struct nic *n, const struct target *t)
{
	int f0 = vtd_faults();
	u64 base = t->addr + 4096;
	u32 sum;

	bool moved = nic_tx_ring_at(n, base);
	u32 nf = new_faults(f0);
	bool intact = target_intact(t, &sum);
	printf("guest: dma: TX ring at 0x%llx: head %s, uhv recorded %u new VT-d fault(s), "
	       "checksum 0x%x\n", base, moved ? "moved on" : "stayed", nf, sum);
	test_check("dma-ring-blocked", nf >= 1 && intact,
		   "%u new fault(s), checksum 0x%x (was 0x%x)", nf, sum, t->sum);
}

void nic_dma_attack(struct nic *n, void (*provoke)(void))
{
	struct target t;

	if (!under_uhv) {
		test_skip("dma", "not under uhv");
		return;
	}
	if (!get_target(&t)) {
		test_skip("dma", "uhv has no DMA target hook");
		return;
	}
	int f0 = vtd_faults();
	if (f0 < 0) {
		test_skip("dma", "uhv has no DMA remapping: a hostile DMA would really write it");
		return;
	}
	printf("guest: dma: uhv's memory at host-physical 0x%llx (%u bytes, checksum 0x%x) is the "
	       "target; uhv has recorded %d VT-d fault(s) so far\n", t.addr, t.size, t.sum, f0);
	attack_rx(n, &t, provoke);
	attack_tx(n, &t);
	attack_tx_ring(n, &t);
	int f1 = vtd_faults();
	printf("guest: dma: %d VT-d fault(s) recorded during the attack\n", f1 - f0);
	test_check("dma-uhv-alive", hc(UHV_HC_VERSION, 0, 0) == UHV_HC_ABI_VERSION,
		   "UHV_HC_VERSION no longer answers");
}
