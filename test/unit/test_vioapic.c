// UNIT-SOURCES: vdev/vioapic.c drivers/vtd_ir_format.c
/* The mediated IOAPIC (vdev/vioapic.c) against a fake register file: what the guest reads and
 * what the hardware gets for each redirection entry it writes; the check of delivery modes and
 * destinations; the remappable-format entry (VT-d spec 5.1.5.1) and the IRTE (level trigger,
 * NMI, ExtINT) written for it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <uhv/vioapic.h>
#include <uhv/vtd.h>
#include <uhv/errno.h>
#include "drivers/vtd_ir.h"

/* ---- the fake IOAPIC: 24 pins, version 0x20 ---- */
static u32 regs[256];
static unsigned writes, eois, nremap, nrefused;
static int remap_ret;
static struct irq_remap_dest last_dest;
static unsigned last_index, last_refused_pin;
static const char *last_why;
static const u32 guest_ids[] = { 0, 2 };
static bool all_cpus;

static u32 f_read(void *ctx, u8 reg) { return regs[reg]; }
static void f_write(void *ctx, u8 reg, u32 val)
{
	/* Delivery Status and Remote IRR are the IOAPIC's: writes do not change them */
	if (reg >= 0x10 && !(reg & 1))
		val = (val & ~(u32)RTE_RO_BITS) | (regs[reg] & (u32)RTE_RO_BITS);
	regs[reg] = val;
	writes++;
}
static void f_eoi(void *ctx, u32 val) { eois++; }
static void f_cpus(void *ctx, struct vioapic_cpus *c)
{
	*c = (struct vioapic_cpus){ guest_ids, 2, all_cpus };
}
static int f_remap(void *ctx, unsigned index, const struct irq_remap_dest *d)
{
	nremap++;
	last_index = index;
	last_dest = *d;
	return remap_ret;
}
static void f_refused(void *ctx, unsigned pin, u64 rte, const char *why)
{
	nrefused++;
	last_refused_pin = pin;
	last_why = why;
}

static struct vioapic io;

static int setup(void **state)
{
	static const struct vioapic_ops ops = { f_read, f_write, f_eoi, f_cpus, f_remap,
						f_refused, NULL };
	memset(regs, 0, sizeof(regs));
	regs[IOAPIC_REG_VER] = 0x00170020;	/* 24 entries, version 0x20 */
	for (unsigned pin = 0; pin < 24; pin++)
		regs[0x10 + 2 * pin] = (u32)RTE_MASKED;
	writes = eois = nremap = nrefused = 0;
	remap_ret = 0;
	all_cpus = false;
	last_why = NULL;
	vioapic_init(&io, 2, &ops);
	io.ops.remap = NULL;		/* compatibility format unless a test says otherwise */
	return 0;
}

static void sel(unsigned reg) { vioapic_mmio_write(&io, IOAPIC_IOREGSEL, 4, reg); }
static void wr(unsigned reg, u32 v) { sel(reg); vioapic_mmio_write(&io, IOAPIC_IOWIN, 4, v); }
static u32 rd(unsigned reg) { sel(reg); return vioapic_mmio_read(&io, IOAPIC_IOWIN, 4); }
static u64 hw_rte(unsigned pin) { return (u64)regs[0x11 + 2 * pin] << 32 | regs[0x10 + 2 * pin]; }
/* the guest programs an entry as Linux does: high half, then low half */
static void program(unsigned pin, u64 rte)
{
	wr(0x11 + 2 * pin, (u32)(rte >> 32));
	wr(0x10 + 2 * pin, (u32)rte);
}

static void test_init_and_plain_registers(void **state)
{
	assert_int_equal(io.npins, 24);
	assert_int_equal(io.version, 0x20);
	assert_int_equal(rd(IOAPIC_REG_VER), 0x00170020);
	regs[IOAPIC_REG_ID] = 2u << 24;
	assert_int_equal(rd(IOAPIC_REG_ID), 2u << 24);
	writes = 0;
	wr(IOAPIC_REG_ID, 5u << 24);		/* the id is not the guest's to change */
	assert_int_equal(writes, 0);
	assert_int_equal(regs[IOAPIC_REG_ID], 2u << 24);
	sel(0x23);
	assert_int_equal(vioapic_mmio_read(&io, IOAPIC_IOREGSEL, 4), 0x23);
	vioapic_mmio_write(&io, IOAPIC_EOI, 4, 0x31);
	assert_int_equal(eois, 1);
}

/* Fixed, physical, to a guest CPU: the hardware gets the same entry; reads give it back. */
static void test_fixed_passes(void **state)
{
	u64 rte = (2ull << RTE_DEST_SHIFT) | RTE_TRIGGER_LEVEL | RTE_POLARITY_LOW | 0x41;

	program(5, rte);
	assert_int_equal(hw_rte(5), rte);
	assert_int_equal(rd(0x10 + 10), (u32)rte);
	assert_int_equal(rd(0x11 + 10), (u32)(rte >> 32));
	assert_int_equal(nrefused, 0);
	/* the live status bits come from the hardware */
	regs[0x10 + 10] |= (u32)RTE_REMOTE_IRR;
	assert_int_equal(rd(0x10 + 10), (u32)rte | (u32)RTE_REMOTE_IRR);
	/* the guest masks it: only the low half is written, masked */
	writes = 0;
	wr(0x10 + 10, (u32)(rte | RTE_MASKED));
	assert_int_equal(writes, 1);
	assert_true(hw_rte(5) & RTE_MASKED);
	/* lowest priority, logical, while every CPU is the guest's */
	all_cpus = true;
	rte = (3ull << RTE_DEST_SHIFT) | RTE_DESTMOD_LOGICAL | (RTE_DLM_LOWPRI << 8) | 0x51;
	program(6, rte);
	assert_int_equal(hw_rte(6), rte);
	assert_int_equal(nrefused, 0);
}

/* SMI, INIT, reserved, an outside destination, broadcast, a low vector: masked on the hardware
 * and read back masked, each counted. */
static void test_refusals(void **state)
{
	static const struct { u64 rte; const char *why; } bad[] = {
		{ (RTE_DLM_SMI << 8) | 0x40, "SMI" },
		{ (RTE_DLM_INIT << 8), "INIT" },
		{ (3ull << 8) | 0x40, "reserved" },
		{ (6ull << 8) | 0x40, "reserved" },
		{ (7ull << RTE_DEST_SHIFT) | 0x40, "not one of the guest's CPUs" },
		{ (0xffull << RTE_DEST_SHIFT) | 0x40, "broadcast" },
		{ 0x0e, "illegal vector" },
		{ (1ull << RTE_DEST_SHIFT) | RTE_DESTMOD_LOGICAL | 0x40, "logical destination" },
		{ (RTE_DLM_NMI << 8) | RTE_TRIGGER_LEVEL, "level-triggered NMI" },
		{ RTE_IR_FORMAT | 0x40, "remappable format" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wr(0x10 + 14, (u32)RTE_MASKED);	/* masked first: one check per entry */
		program(7, bad[i].rte);
		assert_true(hw_rte(7) & RTE_MASKED);
		assert_true(rd(0x10 + 14) & RTE_MASKED);		/* reads back masked */
		assert_int_equal(rd(0x11 + 14), (u32)(bad[i].rte >> 32));
		assert_int_equal(nrefused, i + 1);
		assert_int_equal(last_refused_pin, 7);
		assert_non_null(strstr(last_why, bad[i].why));
	}
	assert_int_equal(io.refusals, sizeof(bad) / sizeof(bad[0]));
	/* a good entry afterwards on the same pin works and reads back unmasked */
	program(7, 0x42);
	assert_int_equal(hw_rte(7), 0x42);
	assert_int_equal(rd(0x10 + 14), 0x42);
}

/* A destination change on a live entry: the hardware entry is masked while its high half
 * changes, never live with a half-written destination. */
static void test_live_retarget(void **state)
{
	program(3, 0x43);
	assert_int_equal(hw_rte(3), 0x43);
	writes = 0;
	wr(0x11 + 6, 2u << 24);
	assert_int_equal(writes, 3);		/* mask, high, low */
	assert_int_equal(hw_rte(3), (2ull << RTE_DEST_SHIFT) | 0x43);
}

/* NMI (a watchdog) and ExtINT (the 8259 through pin 0) pass. */
static void test_nmi_extint(void **state)
{
	program(2, (RTE_DLM_NMI << 8));
	assert_int_equal(hw_rte(2), RTE_DLM_NMI << 8);
	program(0, (RTE_DLM_EXTINT << 8));
	assert_int_equal(hw_rte(0), RTE_DLM_EXTINT << 8);
	assert_int_equal(nrefused, 0);
}

/* With remapping: the remappable-format entry (index across 63:49 and 11, format bit 48,
 * vector and trigger kept, bits 10:8 zero), the IRTE from the checked entry, written once. */
static void test_remapped(void **state)
{
	u64 rte = (2ull << RTE_DEST_SHIFT) | RTE_TRIGGER_LEVEL | RTE_POLARITY_LOW |
		  (RTE_DLM_LOWPRI << 8) | 0x61;
	u64 hw;

	io.remapped = true;
	io.irte_first = 0x8000 - 4;	/* pin 4 gets index 0x8000: bit 15 in RTE bit 11 */
	io.ops.remap = f_remap;
	program(4, rte);
	hw = hw_rte(4);
	assert_int_equal(nremap, 1);
	assert_int_equal(last_index, 0x8000);
	assert_int_equal(last_dest.vector, 0x61);
	assert_int_equal(last_dest.dest_apic_id, 2);
	assert_true(last_dest.lowest_priority && last_dest.level);
	assert_true(hw & RTE_IR_FORMAT);
	assert_true(hw & RTE_IR_INDEX15);
	assert_int_equal(hw >> RTE_IR_INDEX_SHIFT, 0);
	assert_int_equal(hw & RTE_VECTOR_MASK, 0x61);	/* = the IRTE's vector (EOI) */
	assert_true(hw & RTE_TRIGGER_LEVEL);		/* = the IRTE's trigger mode */
	assert_int_equal(hw & RTE_DLM_MASK, 0);
	assert_false(hw & RTE_MASKED);
	/* the guest reads its own entry, not the hardware's */
	assert_int_equal(rd(0x10 + 8), (u32)rte);
	assert_int_equal(rd(0x11 + 8), 2u << 24);
	/* mask and unmask: no second IRTE write */
	wr(0x10 + 8, (u32)(rte | RTE_MASKED));
	wr(0x10 + 8, (u32)rte);
	assert_int_equal(nremap, 1);
	/* the IRTE cannot be written: refused, masked */
	remap_ret = -ETIMEDOUT;
	program(4, (2ull << RTE_DEST_SHIFT) | 0x62);
	assert_true(hw_rte(4) & RTE_MASKED);
	assert_non_null(strstr(last_why, "interrupt-remapping entry"));
	/* pin 1, index 0x7ffd: bits 63:49 */
	remap_ret = 0;
	program(1, 0x70);
	assert_int_equal(hw_rte(1) >> RTE_IR_INDEX_SHIFT, 0x7ffd);
	assert_false(hw_rte(1) & RTE_IR_INDEX15);
}

/* The IRTEs for the IOAPIC's modes (drivers/vtd_ir_format.c). */
static void test_irte_ioapic_modes(void **state)
{
	struct irq_remap_dest level = { .vector = 0x61, .dest_apic_id = 2, .level = true };
	struct irq_remap_dest nmi = { .dest_apic_id = 2, .special = IRQ_REMAP_DLM_NMI };
	struct irq_remap_dest ext = { .dest_apic_id = 0, .special = IRQ_REMAP_DLM_EXTINT };
	struct irq_remap_dest bad = { .vector = 0x40, .special = 2 };

	assert_int_equal(vtd_irte_check(&level, false), 0);
	assert_true(vtd_irte(&level, 0xf0f8, false).lo & VTD_IRTE_TM);
	assert_int_equal(vtd_irte(&level, 0xf0f8, false).hi & 0xffff, 0xf0f8);
	assert_int_equal(vtd_irte_check(&nmi, false), 0);	/* no vector needed */
	assert_int_equal((vtd_irte(&nmi, 0xf0f8, false).lo >> 5) & 7, 4);
	assert_int_equal((vtd_irte(&ext, 0xf0f8, false).lo >> 5) & 7, 7);
	assert_int_equal(vtd_irte_check(&bad, false), -EINVAL);	/* SMI never */
	nmi.level = true;
	assert_int_equal(vtd_irte_check(&nmi, false), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init_and_plain_registers, setup),
		cmocka_unit_test_setup(test_fixed_passes, setup),
		cmocka_unit_test_setup(test_refusals, setup),
		cmocka_unit_test_setup(test_live_retarget, setup),
		cmocka_unit_test_setup(test_nmi_extint, setup),
		cmocka_unit_test_setup(test_remapped, setup),
		cmocka_unit_test_setup(test_irte_ioapic_modes, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
