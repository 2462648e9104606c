; Test guest entry: multiboot2 header, own GDT and stack, exception stubs.
; A multiboot2 boot loader (GRUB, or uhv's loader) enters _start in flat
; 32-bit protected mode, paging off, EAX = 0x36d76289, EBX = information.
bits 32

MB2_MAGIC	equ 0xe85250d6
MB2_LEN		equ mb2_end - mb2_start

section .multiboot2 progbits alloc noexec nowrite align=8
mb2_start:
	dd MB2_MAGIC, 0, MB2_LEN, -(MB2_MAGIC + MB2_LEN)
	; information request, optional: cmdline, modules, meminfo, mmap, ACPI
	align 8, db 0
	dw 1, 1
	dd 8 + 4 * 6
	dd 1, 3, 4, 6, 14, 15
	align 8, db 0
	dw 0, 0
	dd 8
mb2_end:

section .text
global _start
extern guest_start
_start:
	cli
	mov esp, stack_top
	mov [boot_eax], eax
	mov [boot_ebx], ebx
	; the boot loader's GDT is not ours to keep using
	lgdt [gdt_desc]
	jmp 0x08:.cs_loaded
.cs_loaded:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	cld
	push dword [boot_ebx]
	push dword [boot_eax]
	call guest_start
.hang:
	cli
	hlt
	jmp .hang

; Exception stubs: push a 0 error code where the CPU pushes none, then the
; vector, save the general registers and call trap_handler(frame).
extern trap_handler
%macro STUB 2	; vector, has_error_code
isr_%1:
%if %2 == 0
	push dword 0
%endif
	push dword %1
	jmp isr_common
%endmacro

%assign v 0
%rep 32
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
	STUB v, 1
%else
	STUB v, 0
%endif
%assign v v + 1
%endrep

isr_common:
	pushad
	push esp
	call trap_handler
	add esp, 4
	popad
	add esp, 8
	iretd

section .rodata
global isr_table
isr_table:
%assign v 0
%rep 32
	dd isr_ %+ v
%assign v v + 1
%endrep

align 8
gdt:
	dq 0
	dq 0x00cf9b000000ffff	; 0x08: code, flat 4 GiB, 32-bit
	dq 0x00cf93000000ffff	; 0x10: data, flat 4 GiB
gdt_desc:
	dw gdt_desc - gdt - 1
	dd gdt

section .bss
alignb 16
boot_eax:	resd 1
boot_ebx:	resd 1
alignb 16
stack:		resb 16384
stack_top:
