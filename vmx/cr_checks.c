/* The SDM's #GP rules for CR0/CR3/CR4/EFER writes uhv emulates (see <uhv/cr_checks.h>).
 * Pure: no hardware access. */
#include <uhv/cr_checks.h>
#include <uhv/cpu.h>

/* The bits of CR0 the architecture defines; writes of the others in 31:0 are ignored. */
#define CR0_DEFINED	(CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | \
			 CR0_AM | CR0_NW | CR0_CD | CR0_PG)
#define CR3_PCID_NOFLUSH	BIT(63)	/* MOV to CR3 with PCIDE: not stored, never reserved */

static const char *const names[CR_NR_RULES] = {
	[CR_OK] = "ok",
	[CR0_RESERVED_HIGH] = "cr0-reserved-high",
	[CR0_PG_WITHOUT_PE] = "cr0-pg-without-pe",
	[CR0_NW_WITHOUT_CD] = "cr0-nw-without-cd",
	[CR0_PG_LME_NO_PAE] = "cr0-pg-lme-without-pae",
	[CR0_PG_LME_CS_L] = "cr0-pg-lme-cs-l",
	[CR0_CLEAR_PG_64BIT] = "cr0-clear-pg-64bit",
	[CR0_CLEAR_PG_PCIDE] = "cr0-clear-pg-pcide",
	[CR0_CLEAR_WP_CET] = "cr0-clear-wp-cet",
	[CR3_RESERVED] = "cr3-reserved",
	[CR4_RESERVED] = "cr4-reserved",
	[CR4_CLEAR_PAE_LONG] = "cr4-clear-pae-long",
	[CR4_PCIDE_NOT_LONG] = "cr4-pcide-not-long",
	[CR4_PCIDE_CR3_PCID] = "cr4-pcide-cr3-pcid",
	[CR4_LA57_LONG] = "cr4-la57-long",
	[CR4_CET_WITHOUT_WP] = "cr4-cet-without-wp",
	[EFER_RESERVED] = "efer-reserved",
	[EFER_LME_PAGING] = "efer-lme-paging",
};

const char *cr_rule_name(enum cr_rule r)
{
	return (unsigned)r < CR_NR_RULES ? names[r] : "?";
}

static bool long_mode(const struct cr_state *s)
{
	return s->efer & EFER_LMA;
}

enum cr_rule cr0_write_check(const struct cr_state *s, const struct cr_caps *c, u64 val)
{
	bool pg_on = !(s->cr0 & CR0_PG) && (val & CR0_PG);
	bool pg_off = (s->cr0 & CR0_PG) && !(val & CR0_PG);

	if (val >> 32)
		return CR0_RESERVED_HIGH;
	if ((val & CR0_PG) && !(val & CR0_PE))
		return CR0_PG_WITHOUT_PE;
	if ((val & CR0_NW) && !(val & CR0_CD))
		return CR0_NW_WITHOUT_CD;
	if (pg_on && (s->efer & EFER_LME) && !(s->cr4 & CR4_PAE))
		return CR0_PG_LME_NO_PAE;
	if (pg_on && (s->efer & EFER_LME) && s->cs_l)
		return CR0_PG_LME_CS_L;
	/* leaving IA-32e mode goes through compatibility mode (SDM 9.8.5.4): RIP could be
	 * above 4 GiB in 64-bit mode */
	if (pg_off && long_mode(s) && s->cs_l)
		return CR0_CLEAR_PG_64BIT;
	if (pg_off && (s->cr4 & CR4_PCIDE))
		return CR0_CLEAR_PG_PCIDE;
	if ((s->cr0 & CR0_WP) && !(val & CR0_WP) && (s->cr4 & CR4_CET))
		return CR0_CLEAR_WP_CET;
	(void)c;
	return CR_OK;
}

enum cr_rule cr4_write_check(const struct cr_state *s, const struct cr_caps *c, u64 val)
{
	if (val & ~c->cr4_ok)
		return CR4_RESERVED;
	if (long_mode(s) && !(val & CR4_PAE))
		return CR4_CLEAR_PAE_LONG;
	if ((val & CR4_PCIDE) && !(s->cr4 & CR4_PCIDE)) {
		if (!long_mode(s))
			return CR4_PCIDE_NOT_LONG;
		if (s->cr3 & 0xfff)
			return CR4_PCIDE_CR3_PCID;
	}
	if (long_mode(s) && ((val ^ s->cr4) & CR4_LA57))
		return CR4_LA57_LONG;
	if ((val & CR4_CET) && !(s->cr0 & CR0_WP))
		return CR4_CET_WITHOUT_WP;
	return CR_OK;
}

enum cr_rule cr3_write_check(const struct cr_state *s, const struct cr_caps *c, u64 val)
{
	if (!long_mode(s))
		return CR_OK;	/* a 32-bit operand: nothing above MAXPHYADDR */
	if (s->cr4 & CR4_PCIDE)
		val &= ~CR3_PCID_NOFLUSH;
	return c->maxphyaddr < 64 && (val >> c->maxphyaddr) ? CR3_RESERVED : CR_OK;
}

enum cr_rule efer_write_check(const struct cr_state *s, const struct cr_caps *c, u64 val)
{
	if (val & ~c->efer_ok)
		return EFER_RESERVED;
	if ((s->cr0 & CR0_PG) && ((val ^ s->efer) & EFER_LME))
		return EFER_LME_PAGING;
	return CR_OK;
}

u64 cr0_written(u64 val)
{
	return (val & CR0_DEFINED) | CR0_ET;
}

u64 efer_written(const struct cr_state *s, u64 val)
{
	return (val & ~(u64)EFER_LMA) | (s->efer & EFER_LMA);
}

bool cr0_lma_after(const struct cr_state *s, u64 new_cr0)
{
	if (!(s->cr0 & CR0_PG) && (new_cr0 & CR0_PG))
		return s->efer & EFER_LME;
	if ((s->cr0 & CR0_PG) && !(new_cr0 & CR0_PG))
		return false;
	return s->efer & EFER_LMA;
}

enum cr_rule cr_state_check(const struct cr_state *s, const struct cr_caps *c)
{
	/* the state as reached from reset: CR4 set with paging off, then CR0 (PG last, from
	 * 32-bit code), then CR4's IA-32e-only bits; LA57 cannot change once in IA-32e mode */
	struct cr_state pg_off = { .cr4 = s->cr4, .efer = s->efer & ~(u64)EFER_LMA };
	struct cr_state pg_on = { .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4 & CR4_LA57,
				  .efer = s->efer };
	enum cr_rule r = cr0_write_check(&pg_off, c, s->cr0);

	if (r == CR_OK)
		r = cr4_write_check(&pg_on, c, s->cr4);
	if (r == CR_OK)
		r = efer_write_check(&pg_off, c, s->efer);
	return r;
}
