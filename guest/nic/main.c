/* nictest: drive the e1000 the guest was given (natively: the machine's) and talk to the
 * emulator's network: ARP "who-has <gateway>", ICMP echo, then a timed ping loop.
 *
 * Command line: net=bochs (vnet: 192.168.10.15 -> 192.168.10.1), net=qemu (slirp:
 * 10.0.2.15 -> 10.0.2.2), or nothing: ARP for both gateways until one answers.
 * pings=N: round trips in the timed loop (default 200).
 * hostile=1: the isolation checks of guest/nic/hostile.c first (under uhv).
 * dma-attack=1: the hostile DMA of guest/nic/dma.c after the NIC is set up (under uhv with
 * VT-d), then the NIC is reset and everything below runs on it.
 * Under uhv the loop also checks that the data path caused no VM exit. */
#include "nic.h"

#define ETH_HLEN	14
#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806
#define ARP_LEN		28
#define IP_HLEN		20
#define ICMP_HLEN	8
#define ICMP_PAYLOAD	56
#define ICMP_ECHO_REPLY	0
#define ICMP_ECHO	8
#define PING_ID		0x7568	/* "uh" */

struct netcfg {
	const char *name;
	u8 ip[4], gw[4];
};

static const struct netcfg nets[] = {
	{ "bochs vnet", { 192, 168, 10, 15 }, { 192, 168, 10, 1 } },
	{ "qemu slirp", { 10, 0, 2, 15 }, { 10, 0, 2, 2 } },
};

static struct nic nic;
static const struct netcfg *net;
static u8 gw_mac[6];
static const u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static u32 arp_answered;	/* ARP requests for our address that we answered */

static void put16(u8 *p, u16 v) { p[0] = (u8)(v >> 8); p[1] = (u8)v; }
static u16 get16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }

static u16 csum(const u8 *p, unsigned len)
{
	u32 s = 0;

	for (unsigned i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += (u32)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (u16)~s;
}

static unsigned eth_hdr(u8 *f, const u8 *dst, u16 type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, nic.mac, 6);
	put16(f + 12, type);
	return ETH_HLEN;
}

static int send_arp(const struct netcfg *c, u16 op, const u8 *tha, const u8 *tpa)
{
	u8 f[64];
	unsigned o = eth_hdr(f, op == 1 ? bcast : tha, ETH_P_ARP);
	u8 *a = f + o;

	put16(a, 1);			/* Ethernet */
	put16(a + 2, ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, nic.mac, 6);
	memcpy(a + 14, c->ip, 4);
	memcpy(a + 18, op == 1 ? (const u8 *)"\0\0\0\0\0\0" : tha, 6);
	memcpy(a + 24, tpa, 4);
	return nic_send(&nic, f, o + ARP_LEN);
}

static void fill_payload(u8 *p, u16 seq)
{
	for (unsigned i = 0; i < ICMP_PAYLOAD; i++)
		p[i] = (u8)(seq + i);
}

static int send_ping(u16 seq)
{
	u8 f[ETH_HLEN + IP_HLEN + ICMP_HLEN + ICMP_PAYLOAD];
	unsigned o = eth_hdr(f, gw_mac, ETH_P_IP);
	u8 *ip = f + o, *ic = ip + IP_HLEN;

	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, IP_HLEN + ICMP_HLEN + ICMP_PAYLOAD);
	put16(ip + 4, seq);		/* identification */
	put16(ip + 6, 0x4000);		/* don't fragment */
	ip[8] = 64;
	ip[9] = 1;			/* ICMP */
	put16(ip + 10, 0);
	memcpy(ip + 12, net->ip, 4);
	memcpy(ip + 16, net->gw, 4);
	put16(ip + 10, csum(ip, IP_HLEN));
	ic[0] = ICMP_ECHO;
	ic[1] = 0;
	put16(ic + 2, 0);
	put16(ic + 4, PING_ID);
	put16(ic + 6, seq);
	fill_payload(ic + ICMP_HLEN, seq);
	put16(ic + 2, csum(ic, ICMP_HLEN + ICMP_PAYLOAD));
	return nic_send(&nic, f, sizeof(f));
}

/* What the receive loop found. */
struct rx_result {
	bool arp_reply;		/* from the gateway of *net (or, while probing, of any net) */
	const struct netcfg *arp_net;
	u8 arp_mac[6];
	bool arp_bad;		/* an ARP reply for us with wrong target fields */
	bool echo_reply;
	u16 echo_seq;
	bool echo_ok;		/* checksums, addresses, id and payload as sent */
	char why[80];
};

static bool ip_eq(const u8 *a, const u8 *b) { return !memcmp(a, b, 4); }

static void handle_arp(const u8 *f, unsigned len, struct rx_result *r)
{
	const u8 *a = f + ETH_HLEN;

	if (len < ETH_HLEN + ARP_LEN || get16(a) != 1 || get16(a + 2) != ETH_P_IP)
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(nets); i++) {
		const struct netcfg *c = &nets[i];
		if (net && c != net)
			continue;
		/* the host may ask for us before it answers a ping */
		if (get16(a + 6) == 1 && ip_eq(a + 24, c->ip)) {
			send_arp(c, 2, a + 8, a + 14);
			arp_answered++;
		}
		if (get16(a + 6) == 2 && ip_eq(a + 14, c->gw)) {
			r->arp_reply = true;
			r->arp_net = c;
			memcpy(r->arp_mac, a + 8, 6);
			if (memcmp(a + 18, nic.mac, 6) || !ip_eq(a + 24, c->ip)) {
				r->arp_bad = true;
				snprintf(r->why, sizeof(r->why), "ARP reply not for our MAC/IP");
			}
			/* the Ethernet source should be the sender */
			if (memcmp(f + 6, a + 8, 6)) {
				r->arp_bad = true;
				snprintf(r->why, sizeof(r->why), "ARP reply: Ethernet source != "
					 "sender MAC");
			}
		}
	}
}

static void handle_ip(const u8 *f, unsigned len, struct rx_result *r)
{
	const u8 *ip = f + ETH_HLEN;

	if (!net || len < ETH_HLEN + IP_HLEN || (ip[0] >> 4) != 4 || ip[9] != 1)
		return;
	unsigned ihl = (ip[0] & 0xf) * 4, tot = get16(ip + 2);
	if (ihl < IP_HLEN || tot < ihl + ICMP_HLEN || ETH_HLEN + tot > len)
		return;
	const u8 *ic = ip + ihl;
	if (ic[0] != ICMP_ECHO_REPLY || get16(ic + 4) != PING_ID)
		return;
	r->echo_reply = true;
	r->echo_seq = get16(ic + 6);
	u8 want[ICMP_PAYLOAD];
	fill_payload(want, r->echo_seq);
	r->echo_ok = false;
	if (csum(ip, ihl) != 0)
		snprintf(r->why, sizeof(r->why), "bad IP header checksum");
	else if (!ip_eq(ip + 12, net->gw) || !ip_eq(ip + 16, net->ip))
		snprintf(r->why, sizeof(r->why), "addresses %u.%u.%u.%u -> %u.%u.%u.%u", ip[12],
			 ip[13], ip[14], ip[15], ip[16], ip[17], ip[18], ip[19]);
	else if (csum(ic, tot - ihl) != 0)
		snprintf(r->why, sizeof(r->why), "bad ICMP checksum");
	else if (tot - ihl != ICMP_HLEN + ICMP_PAYLOAD || memcmp(ic + ICMP_HLEN, want,
								  ICMP_PAYLOAD))
		snprintf(r->why, sizeof(r->why), "payload differs (%u bytes)", tot - ihl);
	else if (memcmp(f + 6, gw_mac, 6) || memcmp(f, nic.mac, 6))
		snprintf(r->why, sizeof(r->why), "Ethernet addresses differ");
	else
		r->echo_ok = true;
}

/* Process received frames until stop(r) holds or ms milliseconds pass. */
static bool poll_rx(struct rx_result *r, bool (*stop)(const struct rx_result *), u32 ms)
{
	u64 end = rdtsc() + (u64)ms * tsc_per_ms;

	for (;;) {
		unsigned len;
		const u8 *f = nic_recv(&nic, &len);
		if (f) {
			if (len >= ETH_HLEN) {
				u16 type = get16(f + 12);
				if (type == ETH_P_ARP)
					handle_arp(f, len, r);
				else if (type == ETH_P_IP)
					handle_ip(f, len, r);
			}
			nic_rx_done(&nic);
			if (stop(r))
				return true;
			continue;
		}
		if (rdtsc() > end)
			return false;
		asm volatile("pause");
	}
}

static bool got_arp(const struct rx_result *r) { return r->arp_reply; }
static bool got_echo(const struct rx_result *r) { return r->echo_reply; }

static u32 opt_u32(const char *key, u32 dflt)
{
	char buf[16];
	u32 v = 0;

	if (!cmdline_get(key, buf, sizeof(buf)))
		return dflt;
	for (const char *p = buf; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (u32)(*p - '0');
	return v ? v : dflt;
}

static void print_ip(const char *what, const u8 *ip)
{
	printf("%s %u.%u.%u.%u", what, ip[0], ip[1], ip[2], ip[3]);
}

/* ARP for the gateway, every 200 ms for 4 s: QEMU's e1000 drops everything for 1 s after the
 * RCTL write, and while the network is unknown each try asks both gateways. */
static bool resolve_gateway(void)
{
	struct rx_result r;

	memset(&r, 0, sizeof(r));
	for (int tries = 0; tries < 20; tries++) {
		for (unsigned i = 0; i < ARRAY_SIZE(nets); i++)
			if (!net || net == &nets[i])
				send_arp(&nets[i], 1, NULL, nets[i].gw);
		if (poll_rx(&r, got_arp, 200))
			break;
	}
	if (!r.arp_reply) {
		test_fail("arp-reply", "no ARP reply from %s in 4 s (%u frames received)",
			  net ? net->name : "either network", nic.rx_frames);
		return false;
	}
	if (!net) {
		/* Ask once more from the address we keep: a host may remember the sender address of
		 * the last ARP request it saw (Bochs' vnet then answers pings to 10.0.2.15). */
		net = r.arp_net;
		printf("guest: nic: %s answered; asking again from its address only\n", net->name);
		return resolve_gateway();
	}
	memcpy(gw_mac, r.arp_mac, 6);
	printf("guest: nic: network %s: ", net->name);
	print_ip("guest", net->ip);
	print_ip(", gateway", net->gw);
	printf(" is-at %02x:%02x:%02x:%02x:%02x:%02x\n", gw_mac[0], gw_mac[1], gw_mac[2], gw_mac[3],
	       gw_mac[4], gw_mac[5]);
	return test_check("arp-reply", !r.arp_bad, "%s", r.why);
}

/* Something the network answers: an ARP request for the gateway (both while it is unknown). */
static void provoke_arp(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(nets); i++)
		if (!net || net == &nets[i])
			send_arp(&nets[i], 1, NULL, nets[i].gw);
}

/* One round trip: send echo seq, wait up to ms for its reply. 1 ok, 0 timeout, -1 bad reply. */
static int ping(u16 seq, u32 ms, char *why, size_t wsize)
{
	struct rx_result r;

	if (send_ping(seq) < 0) {
		snprintf(why, wsize, "TX timed out");
		return -1;
	}
	for (;;) {
		memset(&r, 0, sizeof(r));
		if (!poll_rx(&r, got_echo, ms)) {
			snprintf(why, wsize, "no echo reply for seq %u in %u ms", seq, ms);
			return 0;
		}
		if (r.echo_seq != seq)		/* a late reply to an earlier try */
			continue;
		if (!r.echo_ok) {
			snprintf(why, wsize, "seq %u: %s", seq, r.why);
			return -1;
		}
		return 1;
	}
}

#define EXIT_PREEMPTION_TIMER	52	/* VM-exit basic reason */

static u32 exits_all(void)
{
	return (u32)hc(UHV_HC_EXIT_COUNT, ~0u, 0);
}

static void bench(u32 n)
{
	char why[96];
	u32 e0 = 0, e1 = 0, p0 = 0, p1 = 0, lost = 0;
	u16 seq = 1000;

	/* warm up: the first replies can be slow (host-side ARP) */
	for (int i = 0; i < 3; i++)
		ping(seq++, 1000, why, sizeof(why));
	if (under_uhv) {
		p0 = (u32)hc(UHV_HC_EXIT_COUNT, EXIT_PREEMPTION_TIMER, 0);
		e0 = exits_all();
	}
	u64 t0 = rdtsc();
	for (u32 i = 0; i < n; i++)
		if (ping(seq++, 500, why, sizeof(why)) != 1)
			lost++;
	u64 t1 = rdtsc();
	if (under_uhv) {
		e1 = exits_all();
		p1 = (u32)hc(UHV_HC_EXIT_COUNT, EXIT_PREEMPTION_TIMER, 0);
	}

	u64 ticks = t1 - t0;
	u32 per = (u32)udiv64(ticks, n, NULL);
	u64 hz = (u64)tsc_per_ms * 1000;
	u32 rate = per ? (u32)udiv64(hz, per, NULL) : 0;
	printf("guest: bench nic-ping: %u round trips (%u lost) in %llu ticks: %u ticks/round trip, "
	       "%u round trips/s, %u packets/s (TSC %u kHz)\n", n, lost, ticks, per, rate,
	       2 * rate, tsc_per_ms);
	test_check("ping-loop", lost == 0, "%u of %u echo requests unanswered (last: %s)", lost, n,
		   why);
	if (under_uhv) {
		/* The second counting VMCALL is the one exit the loop may show. uhv's own
		 * VMX-preemption timer (its console poll) is time-driven, not caused by the data
		 * path: counted and printed apart. */
		u32 all = e1 - e0 - 1, timer = p1 - p0, data = all > timer ? all - timer : 0;
		printf("guest: nic: VM exits during the loop: %u (data path %u, uhv's "
		       "VMX-preemption timer %u)\n", all, data, timer);
		test_check("datapath-exits", data == 0, "%u VM exits during %u round trips", data,
			   n);
	}
	else
		test_skip("datapath-exits", "not under uhv");
}

void guest_main(void)
{
	char opt[16];

	if (cmdline_get("net", opt, sizeof(opt))) {
		if (!strncmp(opt, "bochs", 6))
			net = &nets[0];
		else if (!strncmp(opt, "qemu", 5))
			net = &nets[1];
		else
			printf("guest: nic: net=%s unknown (bochs|qemu): trying both\n", opt);
	}
	tsc_calibrate();
	if (!test_check("tsc-calibrate", tsc_per_ms != 0, "PIT channel 2 never counted down"))
		tsc_per_ms = 1000000;
	printf("guest: nic: TSC %u kHz\n", tsc_per_ms);

	if (nic_find(&nic) < 0) {
		test_fail("nic-found", "no Intel 8254x/82574 NIC in PCI config space");
		return;
	}
	test_ok("nic-found");
	printf("guest: nic: %02x:%02x.%u 8086:%04x\n", nic.bus, nic.dev, nic.fn, nic.device);
	if (cmdline_get("hostile", opt, sizeof(opt)))
		nic_hostile(&nic);
	if (!test_check("nic-init", nic_init(&nic) == 0, "see above"))
		return;
	printf("guest: nic: BAR0 0x%x, MAC %02x:%02x:%02x:%02x:%02x:%02x (from %s), link up\n",
	       nic.bar0, nic.mac[0], nic.mac[1], nic.mac[2], nic.mac[3], nic.mac[4], nic.mac[5],
	       nic.mac_from_eeprom ? "EEPROM" : "RAL/RAH");
	test_check("nic-mac", (nic.mac[0] & 1) == 0 && (nic.mac[0] | nic.mac[1] | nic.mac[2] |
		   nic.mac[3] | nic.mac[4] | nic.mac[5]) != 0, "MAC is multicast or zero");

	if (cmdline_get("dma-attack", opt, sizeof(opt)) && opt[0] != '0') {
		nic_dma_attack(&nic, provoke_arp);
		/* rings back where they belong: reset and set up again */
		if (!test_check("dma-nic-reset", nic_init(&nic) == 0, "see above"))
			return;
	}
	if (!resolve_gateway())
		return;

	char why[96];
	int ok = 1;
	for (u16 seq = 1; seq <= 3 && ok == 1; seq++)
		ok = ping(seq, 2000, why, sizeof(why));
	if (!test_check("icmp-echo", ok == 1, "%s", why))
		return;
	bench(opt_u32("pings", 200));
	printf("guest: nic: %u frames sent, %u received, %u ARP requests for us answered\n",
	       nic.tx_frames, nic.rx_frames, arp_answered);
}
