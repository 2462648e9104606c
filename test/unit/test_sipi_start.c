// UNIT-SOURCES: vmx/sipi_start.c
/* Which INIT exit after a SIPI start is the one held off while the CPU waited for SIPI (to be
 * ignored) and which is the guest's reset of the CPU (include/uhv/sipi_start.h). Each case is a
 * sequence of events on one vCPU, with what the INIT exits must be taken for. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <uhv/sipi_start.h>

enum op { END, SIPI, INIT_HELD, INIT_GUEST, RESET };

struct step {
	enum op op;
	unsigned vector;	/* SIPI */
	u64 rip, cs_base;	/* INIT_*: where the INIT exit found the CPU */
};

static void run(const struct step *st)
{
	struct sipi_start s = { 0 };

	for (; st->op != END; st++) {
		switch (st->op) {
		case SIPI:
			sipi_start_record(&s, (u8)st->vector);
			assert_true(s.pending);
			break;
		case INIT_HELD:
		case INIT_GUEST:
			assert_int_equal(sipi_start_init_was_held(&s, st->rip, st->cs_base),
					 st->op == INIT_HELD);
			assert_false(s.pending);	/* a second INIT is the guest's */
			break;
		case RESET:
			sipi_start_clear(&s);
			assert_false(s.pending);
			break;
		case END:
			break;
		}
	}
}

/* INIT-SIPI-SIPI with the usual vector: the held INIT comes at the start address; the next one,
 * even at the same place, is the guest's. */
static void held_init_after_start(void **state)
{
	(void)state;
	run((const struct step[]){ { SIPI, 0x9e, 0, 0 }, { INIT_HELD, 0, 0, 0x9e000 },
				   { INIT_GUEST, 0, 0, 0x9e000 }, { END, 0, 0, 0 } });
}

/* Vector 0 starts at CS base 0, IP 0, which must not read as "nothing pending": the held INIT
 * would reset the CPU the SIPI just started. */
static void vector_zero(void **state)
{
	(void)state;
	run((const struct step[]){ { SIPI, 0, 0, 0 }, { INIT_HELD, 0, 0, 0 },
				   { INIT_GUEST, 0, 0, 0 }, { END, 0, 0, 0 } });
}

/* The CPU ran: its INIT is the guest's, wherever the CPU is now (also a far jump to another
 * segment's IP 0). */
static void init_after_running(void **state)
{
	(void)state;
	run((const struct step[]){ { SIPI, 0x10, 0, 0 }, { INIT_GUEST, 0, 0x1234, 0x10000 },
				   { SIPI, 0x10, 0, 0 }, { INIT_GUEST, 0, 0, 0x20000 },
				   { SIPI, 0, 0, 0 }, { INIT_GUEST, 0, 0x8, 0 }, { END, 0, 0, 0 } });
}

/* Nothing pending (never started, or reset to wait-for-SIPI since): an INIT at 0:0 is the
 * guest's; a new start after that is pending again. */
static void nothing_pending(void **state)
{
	(void)state;
	run((const struct step[]){ { INIT_GUEST, 0, 0, 0 }, { SIPI, 0, 0, 0 }, { RESET, 0, 0, 0 },
				   { INIT_GUEST, 0, 0, 0 }, { SIPI, 0x9d, 0, 0 },
				   { INIT_HELD, 0, 0, 0x9d000 }, { INIT_GUEST, 0, 0x40, 0x9d000 },
				   { SIPI, 0, 0, 0 }, { INIT_HELD, 0, 0, 0 }, { END, 0, 0, 0 } });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(held_init_after_start),
		cmocka_unit_test(vector_zero),
		cmocka_unit_test(init_after_running),
		cmocka_unit_test(nothing_pending),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
