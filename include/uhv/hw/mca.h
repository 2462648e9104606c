/* Machine-check architecture registers (Intel SDM Vol. 3B ch. 16 "Machine-Check Architecture",
 * Vol. 4 "Model-Specific Registers"). */
#ifndef UHV_HW_MCA_H
#define UHV_HW_MCA_H

#include <uhv/types.h>

#define CPUID_1_EDX_MCE		BIT(7)		/* #MC exists, CR4.MCE enables it */
#define CPUID_1_EDX_MCA		BIT(14)		/* IA32_MCG_CAP and the banks exist */

#define MSR_IA32_MCG_CAP	0x179
#define MCG_CAP_COUNT(c)	((unsigned)((c) & 0xff))	/* number of banks */
#define MCG_CAP_CTL_P		BIT(8)		/* IA32_MCG_CTL present */
#define MCG_CAP_SER_P		BIT(24)		/* software error recovery: S and AR valid */
/* MSR_IA32_MCG_STATUS (0x17a) is in <uhv/cpu.h> */
#define MCG_STATUS_RIPV		BIT(0)		/* restart at the pushed RIP is possible */
#define MCG_STATUS_EIPV		BIT(1)		/* the pushed RIP is where the error happened */
#define MCG_STATUS_MCIP		BIT(2)		/* #MC in progress: a second one shuts the CPU down */
#define MCG_STATUS_LMCE_S	BIT(3)		/* local machine check (this CPU only) */

/* Bank i's registers: IA32_MCi_CTL 0x400 + 4i, _STATUS + 1, _ADDR + 2, _MISC + 3. Banks 0-31
 * fit before the VMX capability MSRs at 0x480; later banks (0x280 CTL2 aside) do not exist. */
#define MSR_IA32_MC0_CTL	0x400
#define MCA_BANK_STATUS(i)	(MSR_IA32_MC0_CTL + 4 * (i) + 1)
#define MCA_BANK_ADDR(i)	(MSR_IA32_MC0_CTL + 4 * (i) + 2)
#define MCA_BANK_MISC(i)	(MSR_IA32_MC0_CTL + 4 * (i) + 3)
#define MCA_MAX_BANKS		32

/* IA32_MCi_STATUS */
#define MCI_STATUS_VAL		BIT(63)		/* the bank holds an error */
#define MCI_STATUS_OVER		BIT(62)		/* another error came while this one was held */
#define MCI_STATUS_UC		BIT(61)		/* uncorrected */
#define MCI_STATUS_EN		BIT(60)		/* signalling enabled by IA32_MCi_CTL */
#define MCI_STATUS_MISCV	BIT(59)		/* IA32_MCi_MISC holds information */
#define MCI_STATUS_ADDRV	BIT(58)		/* IA32_MCi_ADDR holds the address */
#define MCI_STATUS_PCC		BIT(57)		/* processor context corrupt */
#define MCI_STATUS_S		BIT(56)		/* signalled by #MC (with MCG_CAP.SER_P) */
#define MCI_STATUS_AR		BIT(55)		/* action required (with MCG_CAP.SER_P) */
#define MCI_STATUS_MCA_CODE(s)	((unsigned)((s) & 0xffff))		/* architectural */
#define MCI_STATUS_MODEL_CODE(s) ((unsigned)(((s) >> 16) & 0xffff))	/* model-specific */

#endif
