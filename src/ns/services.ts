/** Service names getaddrinfo and getnameinfo know (a subset of Windows' %SystemRoot%\system32\drivers\etc\services). */

/** name → port, for TCP and UDP alike unless marked. Aliases map to the same port. */
const SERVICES: readonly (readonly [string, number, 'tcp' | 'udp' | 'both'])[] = [
  ['echo', 7, 'both'], ['discard', 9, 'both'], ['daytime', 13, 'both'], ['qotd', 17, 'both'], ['chargen', 19, 'both'],
  ['ftp-data', 20, 'tcp'], ['ftp', 21, 'tcp'], ['ssh', 22, 'tcp'], ['telnet', 23, 'tcp'], ['smtp', 25, 'tcp'],
  ['time', 37, 'both'], ['nameserver', 42, 'udp'], ['whois', 43, 'tcp'], ['domain', 53, 'both'], ['bootps', 67, 'udp'], ['bootpc', 68, 'udp'],
  ['tftp', 69, 'udp'], ['gopher', 70, 'tcp'], ['finger', 79, 'tcp'], ['http', 80, 'tcp'], ['www', 80, 'tcp'], ['www-http', 80, 'tcp'],
  ['kerberos', 88, 'both'], ['pop3', 110, 'tcp'], ['nntp', 119, 'tcp'], ['ntp', 123, 'udp'], ['epmap', 135, 'both'],
  ['netbios-ns', 137, 'both'], ['netbios-dgm', 138, 'udp'], ['netbios-ssn', 139, 'tcp'], ['imap', 143, 'tcp'],
  ['snmp', 161, 'udp'], ['snmptrap', 162, 'udp'], ['ldap', 389, 'tcp'], ['https', 443, 'both'], ['microsoft-ds', 445, 'both'],
  ['syslog', 514, 'udp'], ['ldaps', 636, 'tcp'], ['imaps', 993, 'tcp'], ['pop3s', 995, 'tcp'], ['ms-sql-s', 1433, 'tcp'],
  ['ms-wbt-server', 3389, 'tcp'],
];

/** The port of a service name (case-insensitive), or undefined. `udp` restricts to UDP services. */
export function portOfService(name: string, udp?: boolean): number | undefined {
  const n = name.toLowerCase();
  for (const [s, port, proto] of SERVICES) {
    if (s !== n) continue;
    if (udp === undefined || proto === 'both' || (proto === 'udp') === udp) return port;
  }
  return undefined;
}

/** The first name of a port's service (TCP unless `udp`), or undefined. */
export function serviceOfPort(port: number, udp: boolean): string | undefined {
  for (const [s, p, proto] of SERVICES) if (p === port && (proto === 'both' || (proto === 'udp') === udp)) return s;
  return undefined;
}
