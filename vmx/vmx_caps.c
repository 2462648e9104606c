/* Decoding of the VMX capability MSRs and computation of control values
 * (SDM Vol. 3D Appendix A; Vol. 3C 25.5). Pure: no MSR access here. */
#define LOG_MODULE "vmx"
#include <uhv/vmx_caps.h>
#include <uhv/cpu.h>
#include <uhv/errno.h>
#include <uhv/log.h>

void vmx_caps_read(struct vmx_caps_raw *raw, u64 (*rdmsr_fn)(void *ctx, u32 msr), void *ctx)
{
	*raw = (struct vmx_caps_raw){ 0 };
	raw->basic = rdmsr_fn(ctx, MSR_IA32_VMX_BASIC);
	raw->pinbased = rdmsr_fn(ctx, MSR_IA32_VMX_PINBASED_CTLS);
	raw->procbased = rdmsr_fn(ctx, MSR_IA32_VMX_PROCBASED_CTLS);
	raw->exit = rdmsr_fn(ctx, MSR_IA32_VMX_EXIT_CTLS);
	raw->entry = rdmsr_fn(ctx, MSR_IA32_VMX_ENTRY_CTLS);
	raw->misc = rdmsr_fn(ctx, MSR_IA32_VMX_MISC);
	raw->cr0_fixed0 = rdmsr_fn(ctx, MSR_IA32_VMX_CR0_FIXED0);
	raw->cr0_fixed1 = rdmsr_fn(ctx, MSR_IA32_VMX_CR0_FIXED1);
	raw->cr4_fixed0 = rdmsr_fn(ctx, MSR_IA32_VMX_CR4_FIXED0);
	raw->cr4_fixed1 = rdmsr_fn(ctx, MSR_IA32_VMX_CR4_FIXED1);
	raw->vmcs_enum = rdmsr_fn(ctx, MSR_IA32_VMX_VMCS_ENUM);
	if (raw->procbased & ((u64)CPU_BASED_ACTIVATE_SECONDARY_CONTROLS << 32)) {
		raw->procbased2 = rdmsr_fn(ctx, MSR_IA32_VMX_PROCBASED_CTLS2);
		u32 may1 = raw->procbased2 >> 32;
		if (may1 & (SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID))
			raw->ept_vpid_cap = rdmsr_fn(ctx, MSR_IA32_VMX_EPT_VPID_CAP);
		if (may1 & SECONDARY_EXEC_ENABLE_VMFUNC)
			raw->vmfunc = rdmsr_fn(ctx, MSR_IA32_VMX_VMFUNC);
	}
	if (raw->basic & VMX_BASIC_TRUE_CTLS) {
		raw->true_pinbased = rdmsr_fn(ctx, MSR_IA32_VMX_TRUE_PINBASED_CTLS);
		raw->true_procbased = rdmsr_fn(ctx, MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
		raw->true_exit = rdmsr_fn(ctx, MSR_IA32_VMX_TRUE_EXIT_CTLS);
		raw->true_entry = rdmsr_fn(ctx, MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	}
}

static void set_ctl(struct vmx_ctl_cap *c, u64 val, u64 plain, u32 msr)
{
	c->must1 = (u32)val;
	c->may1 = (u32)(val >> 32);
	c->default1 = (u32)plain;
	c->msr = msr;
}

/* IA32_VMX_BASIC (SDM Vol. 3D A.1) */
static void decode_basic(u64 b, struct vmx_caps *caps)
{
	caps->revision_id = b & VMX_BASIC_REVISION_MASK;
	caps->vmcs_size = (b >> VMX_BASIC_VMCS_SIZE_SHIFT) & VMX_BASIC_VMCS_SIZE_MASK;
	caps->vmcs_memtype = (b >> VMX_BASIC_MEMTYPE_SHIFT) & VMX_BASIC_MEMTYPE_MASK;
	caps->addr32_only = b & VMX_BASIC_32BIT_ADDRESSES;
	caps->dual_monitor = b & VMX_BASIC_DUAL_MONITOR;
	caps->ins_outs_info = b & VMX_BASIC_INOUT;
	caps->true_ctls = b & VMX_BASIC_TRUE_CTLS;
	caps->no_errcode_check = b & VMX_BASIC_NO_ERRCODE_CHECK;
}

/* The allowed settings of the five control fields (A.3-A.5). With TRUE_ controls those MSRs
 * give the allowed 0-settings and the plain ones still tell the default1 bits. */
static void decode_ctls(const struct vmx_caps_raw *raw, struct vmx_caps *caps)
{
	bool t = caps->true_ctls;

	set_ctl(&caps->ctl[VMX_CTL_PIN], t ? raw->true_pinbased : raw->pinbased, raw->pinbased,
		t ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	set_ctl(&caps->ctl[VMX_CTL_PROC], t ? raw->true_procbased : raw->procbased, raw->procbased,
		t ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
	set_ctl(&caps->ctl[VMX_CTL_EXIT], t ? raw->true_exit : raw->exit, raw->exit,
		t ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	set_ctl(&caps->ctl[VMX_CTL_ENTRY], t ? raw->true_entry : raw->entry, raw->entry,
		t ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	/* PROCBASED_CTLS2 has no default1 bits and no TRUE_ twin; without the
	 * 1-setting of "activate secondary controls" it does not exist. */
	bool has2 = caps->ctl[VMX_CTL_PROC].may1 & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	set_ctl(&caps->ctl[VMX_CTL_PROC2], has2 ? raw->procbased2 : 0, 0,
		MSR_IA32_VMX_PROCBASED_CTLS2);
}

/* IA32_VMX_MISC (A.6) */
static void decode_misc(u64 m, struct vmx_caps *caps)
{
	caps->preemption_timer_shift = m & VMX_MISC_PREEMPTION_TIMER_RATE_MASK;
	caps->store_lma = m & VMX_MISC_STORE_LMA;
	caps->activity_hlt = m & VMX_MISC_ACTIVITY_HLT;
	caps->activity_shutdown = m & VMX_MISC_ACTIVITY_SHUTDOWN;
	caps->activity_wait_sipi = m & VMX_MISC_ACTIVITY_WAIT_SIPI;
	caps->vmwrite_any_field = m & VMX_MISC_VMWRITE_ANY_FIELD;
	caps->inject_zero_len = m & VMX_MISC_INJECT_ZERO_LEN;
	caps->cr3_targets = (m >> VMX_MISC_CR3_TARGETS_SHIFT) & VMX_MISC_CR3_TARGETS_MASK;
	caps->max_msr_list =
		512 * (((m >> VMX_MISC_MAX_MSR_LIST_SHIFT) & VMX_MISC_MAX_MSR_LIST_MASK) + 1);
	caps->mseg_revision = m >> VMX_MISC_MSEG_REVISION_SHIFT;
}

/* Values no CPU with VMX reports: the MSRs were not read correctly (or not on this CPU). */
static int check_consistent(const struct vmx_caps_raw *raw, const struct vmx_caps *caps)
{
	if (!caps->revision_id || !caps->vmcs_size || caps->vmcs_size > PAGE_SIZE) {
		pr_err("IA32_VMX_BASIC %#llx: revision %#x, VMCS size %u bytes is not usable; "
		       "were the VMX MSRs read on a CPU with VMX?\n",
		       raw->basic, caps->revision_id, caps->vmcs_size);
		return -EINVAL;
	}
	if ((caps->cr0_fixed0 & ~caps->cr0_fixed1) || (caps->cr4_fixed0 & ~caps->cr4_fixed1)) {
		pr_err("CR0 fixed %#llx/%#llx or CR4 fixed %#llx/%#llx contradict each other\n",
		       caps->cr0_fixed0, caps->cr0_fixed1, caps->cr4_fixed0,
		       caps->cr4_fixed1);
		return -EINVAL;
	}
	for (int i = 0; i < VMX_CTL_COUNT; i++) {
		const struct vmx_ctl_cap *c = &caps->ctl[i];
		if (c->must1 & ~c->may1) {
			pr_err("%s (%#x) = %#x_%08x requires bits it does not allow\n",
			       vmx_msr_name(c->msr), c->msr, c->may1, c->must1);
			return -EINVAL;
		}
	}
	return 0;
}

int vmx_caps_decode(const struct vmx_caps_raw *raw, struct vmx_caps *caps)
{
	*caps = (struct vmx_caps){ 0 };
	decode_basic(raw->basic, caps);
	decode_ctls(raw, caps);
	decode_misc(raw->misc, caps);

	caps->cr0_fixed0 = raw->cr0_fixed0;
	caps->cr0_fixed1 = raw->cr0_fixed1;
	caps->cr4_fixed0 = raw->cr4_fixed0;
	caps->cr4_fixed1 = raw->cr4_fixed1;
	caps->vmcs_max_index = (raw->vmcs_enum >> 1) & 0x1ff;

	/* EPT_VPID_CAP and VMFUNC exist only where a secondary control may use them */
	u32 may2 = caps->ctl[VMX_CTL_PROC2].may1;
	if (may2 & (SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID))
		caps->ept_vpid = raw->ept_vpid_cap;
	if (may2 & SECONDARY_EXEC_ENABLE_VMFUNC)
		caps->vmfunc = raw->vmfunc;
	return check_consistent(raw, caps);
}

/* Control names, as the SDM's control tables (Vol. 3C 25.6-25.8) name them. */
static const char *const pin_names[32] = {
	[0] = "external-interrupt exiting",
	[3] = "NMI exiting",
	[5] = "virtual NMIs",
	[6] = "activate VMX-preemption timer",
	[7] = "process posted interrupts",
};

static const char *const proc_names[32] = {
	[2] = "interrupt-window exiting",
	[3] = "use TSC offsetting",
	[7] = "HLT exiting",
	[9] = "INVLPG exiting",
	[10] = "MWAIT exiting",
	[11] = "RDPMC exiting",
	[12] = "RDTSC exiting",
	[15] = "CR3-load exiting",
	[16] = "CR3-store exiting",
	[17] = "activate tertiary controls",
	[19] = "CR8-load exiting",
	[20] = "CR8-store exiting",
	[21] = "use TPR shadow",
	[22] = "NMI-window exiting",
	[23] = "MOV-DR exiting",
	[24] = "unconditional I/O exiting",
	[25] = "use I/O bitmaps",
	[27] = "monitor trap flag",
	[28] = "use MSR bitmaps",
	[29] = "MONITOR exiting",
	[30] = "PAUSE exiting",
	[31] = "activate secondary controls",
};

static const char *const proc2_names[32] = {
	[0] = "virtualize APIC accesses",
	[1] = "enable EPT",
	[2] = "descriptor-table exiting",
	[3] = "enable RDTSCP",
	[4] = "virtualize x2APIC mode",
	[5] = "enable VPID",
	[6] = "WBINVD exiting",
	[7] = "unrestricted guest",
	[8] = "APIC-register virtualization",
	[9] = "virtual-interrupt delivery",
	[10] = "PAUSE-loop exiting",
	[11] = "RDRAND exiting",
	[12] = "enable INVPCID",
	[13] = "enable VM functions",
	[14] = "VMCS shadowing",
	[15] = "enable ENCLS exiting",
	[16] = "RDSEED exiting",
	[17] = "enable PML",
	[18] = "EPT-violation #VE",
	[19] = "conceal VMX from PT",
	[20] = "enable XSAVES/XRSTORS",
	[21] = "PASID translation",
	[22] = "mode-based execute control for EPT",
	[23] = "sub-page write permissions for EPT",
	[24] = "Intel PT uses guest physical addresses",
	[25] = "use TSC scaling",
	[26] = "enable user wait and pause",
	[27] = "enable PCONFIG",
	[28] = "enable ENCLV exiting",
	[30] = "VMM bus-lock detection",
	[31] = "instruction timeout",
};

static const char *const exit_names[32] = {
	[2] = "save debug controls",
	[9] = "host address-space size",
	[12] = "load IA32_PERF_GLOBAL_CTRL",
	[15] = "acknowledge interrupt on exit",
	[18] = "save IA32_PAT",
	[19] = "load IA32_PAT",
	[20] = "save IA32_EFER",
	[21] = "load IA32_EFER",
	[22] = "save VMX-preemption timer value",
	[23] = "clear IA32_BNDCFGS",
	[24] = "conceal VMX from PT",
	[25] = "clear IA32_RTIT_CTL",
	[26] = "clear IA32_LBR_CTL",
	[27] = "clear UINV",
	[28] = "load CET state",
	[29] = "load PKRS",
	[30] = "save IA32_PERF_GLOBAL_CTL",
	[31] = "activate secondary controls",
};

static const char *const entry_names[32] = {
	[2] = "load debug controls",
	[9] = "IA-32e mode guest",
	[10] = "entry to SMM",
	[11] = "deactivate dual-monitor treatment",
	[13] = "load IA32_PERF_GLOBAL_CTRL",
	[14] = "load IA32_PAT",
	[15] = "load IA32_EFER",
	[16] = "load IA32_BNDCFGS",
	[17] = "conceal VMX from PT",
	[18] = "load IA32_RTIT_CTL",
	[19] = "load UINV",
	[20] = "load CET state",
	[21] = "load guest IA32_LBR_CTL",
	[22] = "load PKRS",
};

static const char *const *const ctl_names[VMX_CTL_COUNT] = {
	[VMX_CTL_PIN] = pin_names,
	[VMX_CTL_PROC] = proc_names,
	[VMX_CTL_PROC2] = proc2_names,
	[VMX_CTL_EXIT] = exit_names,
	[VMX_CTL_ENTRY] = entry_names,
};

const char *vmx_ctl_bit_name(enum vmx_ctl ctl, unsigned bit)
{
	if ((unsigned)ctl >= VMX_CTL_COUNT || bit >= 32)
		return NULL;
	return ctl_names[ctl][bit];
}

const char *vmx_ctl_field_name(enum vmx_ctl ctl)
{
	static const char *const names[VMX_CTL_COUNT] = {
		[VMX_CTL_PIN] = "pin-based VM-execution",
		[VMX_CTL_PROC] = "primary processor-based VM-execution",
		[VMX_CTL_PROC2] = "secondary processor-based VM-execution",
		[VMX_CTL_EXIT] = "VM-exit",
		[VMX_CTL_ENTRY] = "VM-entry",
	};
	return (unsigned)ctl < VMX_CTL_COUNT ? names[ctl] : "?";
}

const char *vmx_msr_name(u32 msr)
{
	static const char *const names[] = {
		"IA32_VMX_BASIC", "IA32_VMX_PINBASED_CTLS", "IA32_VMX_PROCBASED_CTLS",
		"IA32_VMX_EXIT_CTLS", "IA32_VMX_ENTRY_CTLS", "IA32_VMX_MISC",
		"IA32_VMX_CR0_FIXED0", "IA32_VMX_CR0_FIXED1", "IA32_VMX_CR4_FIXED0",
		"IA32_VMX_CR4_FIXED1", "IA32_VMX_VMCS_ENUM", "IA32_VMX_PROCBASED_CTLS2",
		"IA32_VMX_EPT_VPID_CAP", "IA32_VMX_TRUE_PINBASED_CTLS",
		"IA32_VMX_TRUE_PROCBASED_CTLS", "IA32_VMX_TRUE_EXIT_CTLS",
		"IA32_VMX_TRUE_ENTRY_CTLS", "IA32_VMX_VMFUNC",
	};
	if (msr < MSR_IA32_VMX_BASIC || msr >= MSR_IA32_VMX_BASIC + ARRAY_SIZE(names))
		return "?";
	return names[msr - MSR_IA32_VMX_BASIC];
}

static const char *bit_name(enum vmx_ctl ctl, unsigned bit)
{
	const char *n = vmx_ctl_bit_name(ctl, bit);
	return n ? n : "reserved";
}

static void report_missing(const struct vmx_caps *caps, enum vmx_ctl ctl, u32 missing)
{
	const struct vmx_ctl_cap *c = &caps->ctl[ctl];

	for (unsigned bit = 0; bit < 32; bit++) {
		if (!(missing & (1U << bit)))
			continue;
		pr_err("%s control \"%s\" (bit %u) is required, but %s (%#x) allowed-1 bit %u "
		       "(MSR bit %u) is 0\n",
		       vmx_ctl_field_name(ctl), bit_name(ctl, bit), bit, vmx_msr_name(c->msr),
		       c->msr, bit, bit + 32);
	}
	if (ctl == VMX_CTL_PROC2 && !vmx_ctl_allowed(caps, VMX_CTL_PROC,
						     CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
		pr_err("this CPU has no secondary controls at all "
		       "(%s (%#x) allowed-1 bit 31 is 0)\n",
		       vmx_msr_name(caps->ctl[VMX_CTL_PROC].msr), caps->ctl[VMX_CTL_PROC].msr);
}

int vmx_ctl_compute(const struct vmx_caps *caps, enum vmx_ctl ctl, const struct vmx_ctl_want *want,
		    u32 *out)
{
	if ((unsigned)ctl >= VMX_CTL_COUNT)
		return -EINVAL;
	const struct vmx_ctl_cap *c = &caps->ctl[ctl];
	u32 missing = want->required & ~c->may1;

	if (missing) {
		report_missing(caps, ctl, missing);
		return -EOPNOTSUPP;
	}
	u32 known = want->required | want->optional | want->clear;
	u32 val = c->must1 | want->required | (want->optional & c->may1) |
		  (c->default1 & c->may1 & ~known);
	u32 stuck = want->clear & ~want->required & c->must1;
	for (unsigned bit = 0; bit < 32; bit++)
		if (stuck & (1U << bit))
			pr_debug("%s control \"%s\" stays 1: %s does not allow 0\n",
				 vmx_ctl_field_name(ctl), bit_name(ctl, bit), vmx_msr_name(c->msr));
	*out = val;
	return 0;
}

int vmx_ctl_check(const struct vmx_caps *caps, enum vmx_ctl ctl, u32 value, bool log)
{
	if ((unsigned)ctl >= VMX_CTL_COUNT)
		return -EINVAL;
	const struct vmx_ctl_cap *c = &caps->ctl[ctl];
	u32 bad1 = value & ~c->may1;
	u32 bad0 = ~value & c->must1;

	if (!bad1 && !bad0)
		return 0;
	for (unsigned bit = 0; log && bit < 32; bit++) {
		if (bad1 & (1U << bit))
			pr_err("%s control \"%s\" (bit %u) is 1, but %s (%#x) does not allow 1\n",
			       vmx_ctl_field_name(ctl), bit_name(ctl, bit), bit,
			       vmx_msr_name(c->msr), c->msr);
		if (bad0 & (1U << bit))
			pr_err("%s control \"%s\" (bit %u) is 0, but %s (%#x) does not allow 0\n",
			       vmx_ctl_field_name(ctl), bit_name(ctl, bit), bit,
			       vmx_msr_name(c->msr), c->msr);
	}
	return -EINVAL;
}

static bool ept_has(const struct vmx_caps *caps, u64 bit)
{
	return (caps->ept_vpid & bit) == bit;
}

static void ept_missing(const char *what, unsigned bit, bool fatal)
{
	if (fatal)
		pr_err("%s is required, but IA32_VMX_EPT_VPID_CAP (%#x) bit %u is 0\n", what,
		       MSR_IA32_VMX_EPT_VPID_CAP, bit);
	else
		pr_warn("no %s (IA32_VMX_EPT_VPID_CAP (%#x) bit %u is 0)\n", what,
			MSR_IA32_VMX_EPT_VPID_CAP, bit);
}

int vmx_caps_check_ept(const struct vmx_caps *caps)
{
	int bad = 0;
	u32 need2 = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST;
	u32 missing = need2 & ~caps->ctl[VMX_CTL_PROC2].may1;

	if (missing) {
		report_missing(caps, VMX_CTL_PROC2, missing);
		bad = 1;
	}
	if (!(missing & SECONDARY_EXEC_ENABLE_EPT)) {
		if (!ept_has(caps, VMX_EPT_PAGE_WALK_4)) {
			ept_missing("an EPT page-walk length of 4", 6, true);
			bad = 1;
		}
		if (!ept_has(caps, VMX_EPT_MEMTYPE_WB) && !ept_has(caps, VMX_EPT_MEMTYPE_UC)) {
			ept_missing("WB (bit 14) or UC (bit 8) EPT paging-structure memory type",
				    14, true);
			bad = 1;
		} else if (!ept_has(caps, VMX_EPT_MEMTYPE_WB)) {
			ept_missing("WB EPT paging-structure memory type (UC will be used, slowly)",
				    14, false);
		}
		if (!ept_has(caps, VMX_EPT_INVEPT)) {
			ept_missing("INVEPT", 20, true);
			bad = 1;
		} else if (!ept_has(caps, VMX_EPT_INVEPT_SINGLE_CONTEXT) &&
			   !ept_has(caps, VMX_EPT_INVEPT_ALL_CONTEXT)) {
			ept_missing("single-context (bit 25) or all-context INVEPT", 26, true);
			bad = 1;
		}
		if (!ept_has(caps, VMX_EPT_PDE_2M))
			ept_missing("2 MiB EPT pages (guest memory is mapped with 4 KiB leaves)",
				    16, false);
		if (!ept_has(caps, VMX_EPT_PDPTE_1G))
			ept_missing("1 GiB EPT pages", 17, false);
	}
	if (vmx_ctl_allowed(caps, VMX_CTL_PROC2, SECONDARY_EXEC_ENABLE_VPID) &&
	    !vmx_caps_vpid_usable(caps))
		pr_warn("VPID is offered but INVVPID single/all-context is not "
			"(IA32_VMX_EPT_VPID_CAP (%#x) bits 32, 41, 42 = %u, %u, %u): "
			"VPIDs stay off\n",
			MSR_IA32_VMX_EPT_VPID_CAP, ept_has(caps, VMX_VPID_INVVPID),
			ept_has(caps, VMX_VPID_INVVPID_SINGLE_CONTEXT),
			ept_has(caps, VMX_VPID_INVVPID_ALL_CONTEXT));
	if (bad)
		pr_err("uhv needs VT-x with EPT and unrestricted guest: use such a CPU, Bochs "
		       "(cpu model corei7_skylake_x or tigerlake) or nested KVM "
		       "(kvm_intel nested=1 ept=1 unrestricted_guest=1)\n");
	return bad ? -EOPNOTSUPP : 0;
}

unsigned vmx_caps_ept_max_leaf_level(const struct vmx_caps *caps)
{
	if (!ept_has(caps, VMX_EPT_PDE_2M))
		return 0;
	/* 1 GiB leaves sit in PDPTEs, which exist only under 2 MiB support in
	 * practice; a CPU offering 1G without 2M is treated as offering neither. */
	return ept_has(caps, VMX_EPT_PDPTE_1G) ? 2 : 1;
}

bool vmx_caps_vpid_usable(const struct vmx_caps *caps)
{
	return vmx_ctl_allowed(caps, VMX_CTL_PROC2, SECONDARY_EXEC_ENABLE_VPID) &&
	       ept_has(caps, VMX_VPID_INVVPID) &&
	       (ept_has(caps, VMX_VPID_INVVPID_SINGLE_CONTEXT) ||
		ept_has(caps, VMX_VPID_INVVPID_ALL_CONTEXT));
}

u64 vmx_cr0_fixed(const struct vmx_caps *caps, u64 cr0, bool unrestricted_guest)
{
	u64 fixed0 = caps->cr0_fixed0;

	if (unrestricted_guest)
		fixed0 &= ~(u64)(CR0_PE | CR0_PG);
	return (cr0 | fixed0) & caps->cr0_fixed1;
}

u64 vmx_cr4_fixed(const struct vmx_caps *caps, u64 cr4)
{
	return (cr4 | caps->cr4_fixed0) & caps->cr4_fixed1;
}

/* Print the names of the bits in mask, wrapped to keep console lines short. */
static void print_bits(const char *title, enum vmx_ctl ctl, u32 mask)
{
	char line[160];
	size_t n = 0;
	bool first = true;

	for (unsigned bit = 0; bit < 32; bit++) {
		if (!(mask & (1U << bit)) || !vmx_ctl_bit_name(ctl, bit))
			continue;
		const char *name = vmx_ctl_bit_name(ctl, bit);
		size_t len = 0;
		while (name[len])
			len++;
		if (n && n + len + 2 > 100) {
			line[n] = 0;
			pr_info("  %s%s\n", first ? title : "  ", line);
			first = false;
			n = 0;
		}
		if (n) {
			line[n++] = ',';
			line[n++] = ' ';
		}
		for (size_t i = 0; i < len && n < sizeof(line) - 3; i++)
			line[n++] = name[i];
	}
	line[n] = 0;
	pr_info("  %s%s\n", first ? title : "  ", n ? line : "(none)");
}

void vmx_caps_print(const struct vmx_caps *caps)
{
	static const char *const titles[VMX_CTL_COUNT] = {
		[VMX_CTL_PIN] = "pin-based: ",
		[VMX_CTL_PROC] = "primary:   ",
		[VMX_CTL_PROC2] = "secondary: ",
		[VMX_CTL_EXIT] = "exit:      ",
		[VMX_CTL_ENTRY] = "entry:     ",
	};

	pr_info("VMCS revision %#x, %u bytes, memory type %u%s%s%s\n", caps->revision_id,
		caps->vmcs_size, caps->vmcs_memtype, caps->true_ctls ? ", TRUE controls" : "",
		caps->ins_outs_info ? ", INS/OUTS info" : "",
		caps->addr32_only ? ", 32-bit addresses only" : "");
	pr_info("controls that may be 1 (%s MSRs):\n", caps->true_ctls ? "TRUE_" : "plain");
	for (int i = 0; i < VMX_CTL_COUNT; i++)
		print_bits(titles[i], (enum vmx_ctl)i, caps->ctl[i].may1);
	pr_info("misc: preemption timer TSC>>%u, CR3 targets %u, MSR lists %u, "
		"activity%s%s%s,%s%s%s\n",
		caps->preemption_timer_shift, caps->cr3_targets, caps->max_msr_list,
		caps->activity_hlt ? " HLT" : "", caps->activity_shutdown ? " shutdown" : "",
		caps->activity_wait_sipi ? " wait-for-SIPI" : "",
		caps->store_lma ? " stores LMA" : "",
		caps->vmwrite_any_field ? ", VMWRITE any field" : "",
		caps->inject_zero_len ? ", zero-length injection" : "");
	pr_info("CR0 fixed0/1 %#llx/%#llx, CR4 fixed0/1 %#llx/%#llx\n", caps->cr0_fixed0,
		caps->cr0_fixed1, caps->cr4_fixed0, caps->cr4_fixed1);

	u64 e = caps->ept_vpid;
	if (!e) {
		pr_info("EPT/VPID: none\n");
		return;
	}
	pr_info("EPT: walk%s%s, EPTP types%s%s, pages 4K%s%s%s%s%s%s%s%s\n",
		e & VMX_EPT_PAGE_WALK_4 ? " 4" : "", e & VMX_EPT_PAGE_WALK_5 ? " 5" : "",
		e & VMX_EPT_MEMTYPE_UC ? " UC" : "", e & VMX_EPT_MEMTYPE_WB ? " WB" : "",
		e & VMX_EPT_PDE_2M ? " 2M" : "", e & VMX_EPT_PDPTE_1G ? " 1G" : "",
		e & VMX_EPT_EXECUTE_ONLY ? ", execute-only" : "", e & VMX_EPT_AD ? ", A/D" : "",
		e & VMX_EPT_INVEPT ? ", INVEPT" : "",
		e & VMX_EPT_INVEPT_SINGLE_CONTEXT ? " single" : "",
		e & VMX_EPT_INVEPT_ALL_CONTEXT ? " all" : "",
		e & VMX_EPT_ADVANCED_EXIT_INFO ? ", advanced exit info" : "");
	pr_info("VPID: INVVPID%s%s%s%s%s; VM functions %#llx\n",
		e & VMX_VPID_INVVPID ? "" : " (none)",
		e & VMX_VPID_INVVPID_INDIVIDUAL_ADDR ? " address" : "",
		e & VMX_VPID_INVVPID_SINGLE_CONTEXT ? " single" : "",
		e & VMX_VPID_INVVPID_ALL_CONTEXT ? " all" : "",
		e & VMX_VPID_INVVPID_SINGLE_CONTEXT_RETAIN_GLOBALS ? " single-keep-globals" : "",
		caps->vmfunc);
}

void vmx_ctl_print(const char *title, enum vmx_ctl ctl, u32 value)
{
	if ((unsigned)ctl >= VMX_CTL_COUNT)
		return;
	print_bits(title, ctl, value);
}
