import { describe, expect, it } from "vitest";
import { isLoopbackHost } from "./loopback.js";

// One table for the collector's bind address, npm start's dashboard host and the dashboard's Host header.
const table: [host: string, loopback: boolean, why: string][] = [
  ["localhost", true, "the name"],
  ["LOCALHOST", true, "case is ignored"],
  ["localhost:3000", true, "a Host header with a port"],
  [" localhost ", true, "white space around is trimmed"],
  ["evil.localhost", false, "*.localhost resolves by the network's DNS where the resolver does not special-case it"],
  ["evil.localhost:3000", false, "nor with a port"],
  ["localhost.", false, "a trailing dot is another name to a resolver"],
  ["localhost.evil.example", false, "a name that starts like localhost"],
  ["127.0.0.1", true, "the usual address"],
  ["127.8.9.10", true, "anywhere in 127.0.0.0/8"],
  ["127.255.255.255", true, "the block's last address"],
  ["127.0.0.1:3000", true, "with a port"],
  ["127.0.0.1:65535", true, "the highest port"],
  ["127.0.0.1:65536", false, "no such port"],
  ["127.0.0.1:", false, "an empty port"],
  ["127.0.0.1:x", false, "a port that is no number"],
  ["127.999.0.1", false, "an octet over 255 is no address (and a browser would not send it)"],
  ["127.1", false, "short forms are refused"],
  ["0177.0.0.1", false, "octal forms are refused"],
  ["127.0.0.01", false, "leading zeros are refused"],
  ["127.0.0.1.", false, "a trailing dot"],
  ["128.0.0.1", false, "outside 127.0.0.0/8"],
  ["0.0.0.0", false, "every interface"],
  ["10.0.0.1", false, "a private address"],
  ["192.168.1.20", false, "a LAN address"],
  ["::1", true, "IPv6 loopback, bare"],
  ["[::1]", true, "bracketed"],
  ["[::1]:3000", true, "bracketed with a port (a Host header)"],
  ["[::1]:", false, "bracketed with an empty port"],
  ["0:0:0:0:0:0:0:1", true, "the long spelling"],
  ["0000::0001", true, "with leading zeros in groups"],
  ["[::1%lo]", false, "a zone"],
  ["::1:3000", false, "a bare IPv6 address has no port: this is 0:…:1:3000"],
  ["::", false, "every interface"],
  ["::2", false, "not loopback"],
  ["::ffff:127.0.0.1", true, "IPv4-mapped loopback"],
  ["::FFFF:127.0.0.1", true, "in upper case"],
  ["[::ffff:7f00:1]:3000", true, "IPv4-mapped loopback as a browser sends it"],
  ["::ffff:10.0.0.1", false, "IPv4-mapped, not loopback"],
  ["::127.0.0.1", false, "IPv4-compatible (deprecated) is not mapped"],
  ["::ffff:127.0.0.1:3000", false, "a port needs brackets"],
  ["1::1::1", false, "two ::"],
  ["1:2:3:4:5:6:7:8:9", false, "nine groups"],
  ["[localhost]", false, "brackets hold IPv6 only"],
  ["[::1", false, "an unclosed bracket"],
  ["", false, "nothing (a request without Host)"],
  ["collector.internal", false, "another name"],
];

describe("isLoopbackHost", () => {
  it.each(table)("%s → %s (%s)", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});
