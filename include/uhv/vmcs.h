/* VMX instructions (SDM Vol. 3C chapter 31) as inline functions: VMXON,
 * VMCLEAR, VMPTRLD, VMREAD, VMWRITE, INVEPT, INVVPID. Field encodings are
 * in <uhv/hw/vmcs_fields.h>, control bits in <uhv/hw/vmx_msr.h> (both come
 * with <uhv/hw/vmx.h>).
 *
 * The hot exit path uses vmread()/vmwrite(), which do not check for
 * failure: the fields they touch exist on every CPU uhv accepts. Setup code
 * uses the _checked variants, which report the RFLAGS outcome (31.2
 * "conventions": CF=1 VMfailInvalid, ZF=1 VMfailValid). */
#ifndef UHV_VMCS_H
#define UHV_VMCS_H

#include <uhv/types.h>

/* Outcome of a VMX instruction, from RFLAGS. */
#define VMX_OK			0
#define VMX_FAIL_INVALID	1	/* CF=1: no current VMCS / bad operand */
#define VMX_FAIL_VALID		2	/* ZF=1: error number in VMCS_VM_INSTRUCTION_ERROR */

static inline int vmx_outcome(u8 cf, u8 zf)
{
	return cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : VMX_OK;
}

static inline int vmxon(paddr_t region)
{
	u8 cf, zf;

	asm volatile("vmxon %2; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : "m"(region) : "cc", "memory");
	return vmx_outcome(cf, zf);
}

static inline int vmclear(paddr_t vmcs)
{
	u8 cf, zf;

	asm volatile("vmclear %2; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : "m"(vmcs) : "cc", "memory");
	return vmx_outcome(cf, zf);
}

static inline int vmptrld(paddr_t vmcs)
{
	u8 cf, zf;

	asm volatile("vmptrld %2; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : "m"(vmcs) : "cc", "memory");
	return vmx_outcome(cf, zf);
}

static inline u64 vmread(u64 field)
{
	u64 v;

	asm volatile("vmread %1, %0" : "=r"(v) : "r"(field) : "cc");
	return v;
}

static inline void vmwrite(u64 field, u64 v)
{
	asm volatile("vmwrite %1, %0" : : "r"(field), "r"(v) : "cc");
}

static inline int vmread_checked(u64 field, u64 *v)
{
	u8 cf, zf;

	asm volatile("vmread %3, %2; setc %0; setz %1"
		     : "=qm"(cf), "=qm"(zf), "=r"(*v) : "r"(field) : "cc");
	return vmx_outcome(cf, zf);
}

static inline int vmwrite_checked(u64 field, u64 v)
{
	u8 cf, zf;

	asm volatile("vmwrite %3, %2; setc %0; setz %1"
		     : "=qm"(cf), "=qm"(zf) : "r"(field), "r"(v) : "cc");
	return vmx_outcome(cf, zf);
}

/* INVEPT / INVVPID descriptors (31.3, "INVEPT", "INVVPID") */
struct invept_desc {
	u64 eptp;
	u64 reserved;
};

struct invvpid_desc {
	u16 vpid;
	u16 reserved[3];
	u64 linear_addr;
};

static inline int invept(u64 type, u64 eptp)
{
	struct invept_desc d = { .eptp = eptp };
	u8 cf, zf;

	asm volatile("invept %2, %3; setc %0; setz %1"
		     : "=qm"(cf), "=qm"(zf) : "m"(d), "r"(type) : "cc", "memory");
	return vmx_outcome(cf, zf);
}

static inline int invvpid(u64 type, u16 vpid, u64 addr)
{
	struct invvpid_desc d = { .vpid = vpid, .linear_addr = addr };
	u8 cf, zf;

	asm volatile("invvpid %2, %3; setc %0; setz %1"
		     : "=qm"(cf), "=qm"(zf) : "m"(d), "r"(type) : "cc", "memory");
	return vmx_outcome(cf, zf);
}

#endif
