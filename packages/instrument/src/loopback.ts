/**
 * The one loopback check of the repository: the collector's bind address (anything else needs a
 * token), `npm start`'s dashboard bind address (likewise), and the dashboard's `Host` header
 * check against DNS rebinding all ask it, so that all three agree on every edge case.
 *
 * What counts as loopback, and why:
 * - `127.0.0.0/8`, in strict dotted-decimal (four octets 0-255, no leading zeros): the whole
 *   block is loopback (RFC 1122 §3.2.1.3). Short (`127.1`), octal (`0177.0.0.1`) or hex forms
 *   are refused: browsers rewrite them to dotted-decimal before sending a Host header, and a bind
 *   address in such a form is a typo more likely than a choice.
 * - `::1`, in any valid IPv6 spelling (`0:0:0:0:0:0:0:1`), and IPv4-mapped loopback
 *   (`::ffff:127.0.0.1`, which browsers send as `[::ffff:7f00:1]`); bracketed or bare, with a
 *   port only when bracketed. A zone (`fe80::1%lo0`) is refused.
 * - The name `localhost` exactly. Every resolver maps it to loopback from the hosts file, and
 *   browsers hard-wire it (RFC 6761 §6.3 asks both to).
 * - Not `*.localhost`, nor `localhost.` with a trailing dot. RFC 6761 says such names resolve to
 *   loopback too, but that is a promise of the resolver, not of this machine: glibc's hosts file
 *   has no wildcard, so without systemd-resolved a name like `evil.localhost` goes to whatever
 *   DNS server the network hands out, and a hostile one can answer with an address of its own.
 *   That is exactly the DNS-rebinding attack the dashboard's Host check exists to refuse (a page
 *   served under `evil.localhost` that later resolves to 127.0.0.1 and reads the dashboard), and
 *   for a bind address it could put the collector on a LAN interface without a token. So the
 *   check accepts only names whose loopback meaning does not depend on the network; refusing a
 *   real `*.localhost` costs a user nothing but using `localhost` or `127.0.0.1`.
 *
 * Case is ignored, surrounding white space trimmed; anything else (empty, `0.0.0.0`, `::`, a
 * name, a malformed port) is not loopback. No DNS lookup, no Node.js API: the dashboard's proxy
 * runs it on every request.
 */

/**
 * Whether `host` names this machine's loopback interface: a bind address (`127.0.0.1`, `::1`,
 * `[::1]`, `localhost`) or a `Host` header (`127.0.0.1:3000`, `[::1]:3000`, `localhost:3000`).
 * See the module's doc for what counts and why `*.localhost` does not.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  let address: string;
  if (h.startsWith("[")) {
    const m = /^\[([^\]]*)\](?::(\d+))?$/.exec(h);
    if (m === null || (m[2] !== undefined && !validPort(m[2]))) return false;
    const groups = ipv6Groups(m[1] as string);
    return groups !== undefined && isLoopbackIpv6(groups);
  }
  const colons = h.split(":").length - 1;
  if (colons >= 2) {
    // A bare IPv6 address; it cannot carry a port without brackets.
    const groups = ipv6Groups(h);
    return groups !== undefined && isLoopbackIpv6(groups);
  }
  if (colons === 1) {
    const [name, port] = h.split(":") as [string, string];
    if (!validPort(port)) return false;
    address = name;
  } else address = h;
  if (address === "localhost") return true;
  const octets = ipv4Octets(address);
  return octets !== undefined && octets[0] === 127;
}

function validPort(port: string): boolean {
  return /^\d{1,5}$/.test(port) && Number(port) <= 65_535;
}

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** The four octets of a strict dotted-decimal IPv4 address, else undefined. */
function ipv4Octets(text: string): number[] | undefined {
  const m = IPV4.exec(text);
  return m === null ? undefined : m.slice(1, 5).map(Number);
}

/** The eight 16-bit groups of an IPv6 address (`::` and a dotted IPv4 tail allowed), else undefined. */
function ipv6Groups(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string, last: boolean): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const fields = part.split(":");
    for (const [i, field] of fields.entries()) {
      if (last && i === fields.length - 1 && field.includes(".")) {
        const octets = ipv4Octets(field);
        if (octets === undefined) return undefined;
        out.push(((octets[0] as number) << 8) | (octets[1] as number), ((octets[2] as number) << 8) | (octets[3] as number));
      } else if (/^[0-9a-f]{1,4}$/.test(field)) out.push(parseInt(field, 16));
      else return undefined;
    }
    return out;
  };
  const head = parse(halves[0] as string, halves.length === 1);
  const tail = halves.length === 2 ? parse(halves[1] as string, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  // `::` stands for at least one zero group.
  if (head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** `::1`, or an IPv4-mapped address (`::ffff:a.b.c.d`) in 127.0.0.0/8. */
function isLoopbackIpv6(g: number[]): boolean {
  const zeros = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (zeros(7) && g[7] === 1) return true;
  return zeros(5) && g[5] === 0xffff && (g[6] as number) >> 8 === 127;
}
