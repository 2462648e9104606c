; uhv boot path: multiboot2 header and the 32-bit entry GRUB calls.
;
; GRUB enters here in 32-bit protected mode, paging off, EAX = multiboot2
; magic, EBX = physical address of the boot information (same under BIOS and
; UEFI GRUB as long as we do not ask to keep boot services; see
; docs/emulators.md section 1). We have no stack and do not know where
; we were loaded (the image is relocatable), so: find the load base in the
; "image load base" tag (21), build page tables that map
;   - the first 4 GiB identity (for this switch) and at DMAP_BASE (direct map),
;   - the image at its link address KERNEL_VMA,
; enter long mode and call kmain(magic, mbi_pa, load_base) on the boot stack.
; kmain replaces these tables with W^X ones as soon as it can.

bits 32

MB2_HEADER_MAGIC	equ 0xe85250d6
MB2_BOOT_MAGIC		equ 0x36d76289
MB2_TAG_LOAD_BASE	equ 21
MB2_TAG_CMDLINE		equ 1
KERNEL_VMA		equ 0xffffffff80200000
KERNEL_PHYS		equ 0x200000
BOOT_STACK_SIZE		equ 16384
PTE_P			equ 1
PTE_RW			equ 2
PTE_PS			equ 0x80
COM1			equ 0x3f8
EXIT_QEMU_PORT		equ 0xf4	; include/uhv/platform.h
EXIT_QEMU_FAIL		equ 0x11
EXIT_BOCHS_SHUTDOWN	equ 0x8900

; physical address of a symbol, with EBP = load base
%define PA(sym) ebp + (sym - KERNEL_VMA)

section .multiboot2 progbits alloc exec nowrite align=8
mb2_header:
	dd MB2_HEADER_MAGIC
	dd 0				; architecture: i386 protected mode
	dd mb2_header_end - mb2_header
	dd 0x100000000 - (MB2_HEADER_MAGIC + 0 + (mb2_header_end - mb2_header))

	align 8				; entry address tag: the 32-bit entry (physical)
	dw 3, 0
	dd 12
	dd _start32 - KERNEL_VMA + KERNEL_PHYS

	align 8				; relocatable: anywhere 2 MiB aligned below 3 GiB, highest first
	dw 10, 0
	dd 24
	dd 0x200000			; min_addr
	dd 0xc0000000			; max_addr (end of image)
	dd 0x200000			; align
	dd 2				; preference: highest

	align 8				; page-align modules (guest kernel, initrd)
	dw 6, 0
	dd 8

	align 8				; framebuffer, optional, any mode: GRUB EFI then passes the
	dw 5, 1				; GOP framebuffer (tag 8) for the screen console; under BIOS
	dd 20				; grub.cfg's gfxpayload=text keeps VGA text (scripts/mkiso.sh)
	dd 0, 0, 0			; width, height, depth: no preference

	align 8				; end
	dw 0, 0
	dd 8
mb2_header_end:

section .boot.text progbits alloc exec nowrite align=16
global _start32
_start32:
	cli
	cld
	mov edi, eax			; multiboot2 magic, checked in C
	mov esi, ebx			; boot information (physical)

	; Where are we? Default to the link address, then look for tag 21. The command line tag
	; (1) is noted on the way (EBX) for .exit_option, the only reader before kmain.
	mov ebp, KERNEL_PHYS
	xor ebx, ebx
	cmp edi, MB2_BOOT_MAGIC
	jne .base_known			; no trustworthy info block; kmain reports it
	mov edx, [esi]			; total_size
	add edx, esi			; end of the info block
	lea ecx, [esi + 8]		; first tag
.next_tag:
	lea eax, [ecx + 8]
	cmp eax, edx
	ja .base_known
	mov eax, [ecx]			; type
	test eax, eax
	jz .base_known
	cmp eax, MB2_TAG_LOAD_BASE
	jne .not_base
	mov ebp, [ecx + 8]
.not_base:
	cmp eax, MB2_TAG_CMDLINE
	jne .not_cmdline
	mov ebx, ecx
.not_cmdline:
	mov eax, [ecx + 4]		; size
	cmp eax, 8
	jb .base_known			; malformed; kmain's parser will say so
	add eax, 7
	and eax, ~7
	add ecx, eax
	jmp .next_tag
.base_known:
	lea esp, [PA(boot_stack_top)]
	mov [PA(mb2_cmdline_tag)], ebx

	; Long mode is required: CPUID 0x80000001 EDX bit 29.
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz .no_long_mode
	mov ebx, edx			; keep the NX bit (20) for EFER below

	; Zero the boot page tables (bss is zeroed by the loader, but be sure).
	push edi
	lea edi, [PA(boot_pt_start)]
	mov ecx, (boot_pt_end - boot_pt_start) / 4
	xor eax, eax
	rep stosd
	pop edi

	; 4 page directories of 2 MiB pages: identity map of 0..4 GiB.
	lea edx, [PA(boot_pd_low)]
	xor ecx, ecx
.fill_low:
	mov eax, ecx
	shl eax, 21
	or eax, PTE_P | PTE_RW | PTE_PS
	mov [edx + ecx * 8], eax
	mov eax, ecx
	shr eax, 11			; bits 32+ of (ecx << 21)
	mov [edx + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 2048
	jb .fill_low

	lea edx, [PA(boot_pdpt_low)]
	lea eax, [PA(boot_pd_low)]
	or eax, PTE_P | PTE_RW
	mov ecx, 4
.fill_pdpt:
	mov [edx], eax
	add eax, 4096
	add edx, 8
	loop .fill_pdpt

	; PML4[0] (identity) and PML4[256] (DMAP_BASE) share the low tables.
	lea edx, [PA(boot_pml4)]
	lea eax, [PA(boot_pdpt_low)]
	or eax, PTE_P | PTE_RW
	mov [edx], eax
	mov [edx + 256 * 8], eax
	; PML4[511] -> PDPT[510] -> PD: image at 0xffffffff80200000 (PD index 1).
	lea eax, [PA(boot_pdpt_high)]
	or eax, PTE_P | PTE_RW
	mov [edx + 511 * 8], eax
	lea edx, [PA(boot_pdpt_high)]
	lea eax, [PA(boot_pd_high)]
	or eax, PTE_P | PTE_RW
	mov [edx + 510 * 8], eax
	lea edx, [PA(boot_pd_high)]
	mov eax, ebp
	or eax, PTE_P | PTE_RW | PTE_PS
	mov ecx, 1
.fill_image:				; 64 MiB window for the image
	mov [edx + ecx * 8], eax
	add eax, 0x200000
	inc ecx
	cmp ecx, 33
	jb .fill_image

	; PAE + PGE, EFER.LME (+NXE if present), CR3, then paging.
	mov eax, cr4
	or eax, (1 << 5) | (1 << 7)
	mov cr4, eax
	mov ecx, 0xc0000080
	rdmsr
	or eax, 1 << 8
	test ebx, 1 << 20
	jz .no_nx
	or eax, 1 << 11
.no_nx:
	wrmsr
	lea eax, [PA(boot_pml4)]
	mov cr3, eax
	mov eax, cr0
	or eax, (1 << 31) | (1 << 16) | (1 << 5) | 1	; PG, WP, NE, PE
	mov cr0, eax

	lea eax, [PA(boot_gdt)]
	mov [PA(boot_gdtr + 2)], eax
	lgdt [PA(boot_gdtr)]
	push 0x08
	lea eax, [PA(long_mode_entry)]
	push eax
	retf

; No long mode: say so, then end the run as platform_exit (arch/platform.c) ends every
; other fatal error: the "run ended" line, then QEMU's isa-debug-exit or Bochs' shutdown
; port as exit= says (exit=auto or none: detected as platform_detect does), else halt with
; the same words.
.no_long_mode:
	call .exit_option
	lea esi, [PA(msg_no_lm)]
	call .puts
	lea esi, [PA(msg_run_ended)]
	call .puts
	cmp edi, 'h'			; exit=halt
	je .halt
	cmp edi, 'q'			; exit=qemu
	je .qemu
	cmp edi, 'b'			; exit=bochs
	je .bochs
	mov eax, 1
	cpuid
	test ecx, 1 << 31		; CPUID.1:ECX.hypervisor
	jz .not_qemu
	mov eax, 0x40000000
	cpuid
	cmp ebx, 'TCGT'			; "TCGTCGTCGTCG" (TCG) or "KVMKVMKVM" (KVM)
	je .qemu
	cmp ebx, 'KVMK'
	jne .not_qemu
.qemu:
	mov dx, EXIT_QEMU_PORT
	mov eax, EXIT_QEMU_FAIL
	out dx, eax
	cmp edi, 'q'
	je .halt
.not_qemu:
	mov dx, 0xe9			; Bochs' port_e9_hack reads back 0xe9
	in al, dx
	cmp al, 0xe9
	jne .halt
.bochs:
	lea esi, [PA(msg_bochs_shutdown)]
	mov dx, EXIT_BOCHS_SHUTDOWN
.shutdown:
	lodsb
	test al, al
	jz .halt
	out dx, al
	jmp .shutdown
.halt:
	lea esi, [PA(msg_halted)]
	call .puts
.hang32:
	cli
	hlt
	jmp .hang32

; EDI = the first letter of the last exit= value on the multiboot2 command line ('q', 'b',
; 'h', 'a'), or 0 without one (the tag _start32 noted).
.exit_option:
	xor eax, eax
	mov ecx, [PA(mb2_cmdline_tag)]
	test ecx, ecx
	jz .opt_done
	mov ebx, [ecx + 4]
	add ebx, ecx			; end of the tag
	lea ecx, [ecx + 8]
	mov esi, ecx			; start of the string
.opt_scan:
	lea edx, [ecx + 6]		; "exit=" and one letter
	cmp edx, ebx
	ja .opt_done
	cmp byte [ecx], 0
	je .opt_done
	cmp dword [ecx], 'exit'
	jne .opt_next
	cmp byte [ecx + 4], '='
	jne .opt_next
	cmp ecx, esi			; at the start or after a space
	je .opt_take
	cmp byte [ecx - 1], ' '
	jne .opt_next
.opt_take:
	movzx eax, byte [ecx + 5]
.opt_next:
	inc ecx
	jmp .opt_scan
.opt_done:
	mov edi, eax
	ret

; ESI: a NUL-terminated string to COM1 (polled; GRUB left the UART set up)
.puts:
	mov dx, COM1 + 5
.wait:
	in al, dx
	test al, 0x20
	jz .wait
	mov dx, COM1
	lodsb
	test al, al
	jz .puts_done
	out dx, al
	jmp .puts
.puts_done:
	ret

bits 64
long_mode_entry:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rax, higher_half
	jmp rax

section .text
extern kmain
higher_half:
	mov rsp, boot_stack_top
	mov edi, edi			; magic
	mov esi, esi			; mbi physical address
	mov edx, ebp			; load base
	xor ebp, ebp			; terminates stack traces
	call kmain
.hang:
	cli
	hlt
	jmp .hang

section .rodata
msg_no_lm:
	db 13, 10, "uhv: this CPU has no 64-bit long mode; uhv needs an x86-64 CPU with VT-x", 13, 10, 0
msg_run_ended:
	db "uhv: run ended: FAIL - no 64-bit long mode", 13, 10, 0
msg_halted:
	db "uhv: halted. It is safe to power off or reset the machine.", 13, 10, 0
msg_bochs_shutdown:
	db "Shutdown", 0

section .data
mb2_cmdline_tag:
	dd 0				; physical address of the command line tag, or 0
align 16
boot_gdt:
	dq 0
	dq 0x00209a0000000000		; 0x08: 64-bit code
	dq 0x0000920000000000		; 0x10: data
boot_gdt_end:
boot_gdtr:
	dw boot_gdt_end - boot_gdt - 1
	dd 0				; base, filled in at run time (physical)
	dd 0

section .bss
align 4096
boot_pt_start:
boot_pml4:	resb 4096
boot_pdpt_low:	resb 4096
boot_pd_low:	resb 4 * 4096
boot_pdpt_high:	resb 4096
boot_pd_high:	resb 4096
boot_pt_end:
global boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	resb BOOT_STACK_SIZE
boot_stack_top:
