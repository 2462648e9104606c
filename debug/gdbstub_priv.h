/* Inside the GDB stub engine: what its four files share. The engine is split by concept:
 * gdbstub_wire.c frames packets (hex, checksums, escapes, run-length encoding, the receiver),
 * gdbstub_regs.c knows the register layout and target.xml, gdbstub_bp.c plants breakpoints
 * and watchpoints, and gdbstub.c runs the session and dispatches packets. Only these files
 * include this header; everyone else uses <uhv/gdbstub.h>. */
#ifndef UHV_DEBUG_GDBSTUB_PRIV_H
#define UHV_DEBUG_GDBSTUB_PRIV_H

#include <uhv/gdbstub.h>

/* Error numbers in E replies: GDB only shows them, so keep them few. */
#define E_SYNTAX	0x01
#define E_NOSPACE	0x0c
#define E_FAULT		0x0e

/* ---- gdbstub_wire.c: parsing (each advances *pp only on success) ----------------------------- */

/* At least one and at most 16 hex digits. */
bool gdb_parse_hex(const u8 **pp, const u8 *end, u64 *out);
bool gdb_expect(const u8 **pp, const u8 *end, u8 c);
/* "addr,length" in hex */
bool gdb_parse_addr_len(const u8 **p, const u8 *end, u64 *addr, u64 *len);
/* Exactly n bytes from 2n hex digits at p. */
bool gdb_decode_hex(const u8 *p, size_t n, u8 *dst);
bool gdb_starts_with(const u8 *p, const u8 *end, const char *word);
bool gdb_equals(const u8 *p, const u8 *end, const char *word);

/* ---- gdbstub_wire.c: the reply under construction, and sending it --------------------------- */

void gdb_out_reset(struct gdb_stub *s);
void gdb_out_byte(struct gdb_stub *s, u8 c);
void gdb_out_str(struct gdb_stub *s, const char *str);
void gdb_out_hex(struct gdb_stub *s, const void *buf, size_t n);
/* Replaces whatever the reply held with "Enn". */
void gdb_out_error(struct gdb_stub *s, u8 code);
/* Frame out[] (escapes, run-length encoding, checksum) and send it. */
void gdb_send_reply(struct gdb_stub *s);
void gdb_send_str(struct gdb_stub *s, const char *str);

/* ---- gdbstub_regs.c: register packets -------------------------------------------------------- */

void gdb_pkt_regs_read(struct gdb_stub *s);				/* g */
void gdb_pkt_regs_write(struct gdb_stub *s, const u8 *p, const u8 *end);	/* G */
void gdb_pkt_reg_one(struct gdb_stub *s, const u8 *p, const u8 *end, bool write); /* p, P */
/* qXfer:features:read:ANNEX:off,len, p just past "read:" */
void gdb_pkt_qxfer_features(struct gdb_stub *s, const u8 *p, const u8 *end);

/* ---- gdbstub_bp.c: breakpoints --------------------------------------------------------------- */

/* Z and z; p at the 'Z' or 'z' */
void gdb_pkt_z(struct gdb_stub *s, const u8 *p, const u8 *end, bool insert);
/* GDB sees guest memory as if no int3 were planted. */
void gdb_bp_hide(struct gdb_stub *s, u64 addr, u8 *buf, size_t len);
/* A GDB write over a planted int3 changes the byte restored later instead. */
void gdb_bp_shadow_write(struct gdb_stub *s, u64 addr, u8 *buf, size_t len);
void gdb_bp_remove_all(struct gdb_stub *s);

/* ---- gdbstub.c ------------------------------------------------------------------------------- */

/* A whole packet with a good checksum is in rx[]: answer it. */
void gdb_process_packet(struct gdb_stub *s);

#endif
