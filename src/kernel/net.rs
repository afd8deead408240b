//! The client's address: the TCP peer, unless the peer is a proxy named in
//! `server.trusted_proxies` (CIDRs), in which case the nearest address in `X-Forwarded-For`
//! that is not itself a trusted proxy. An `X-Forwarded-For` from anyone else is ignored, so a
//! client cannot pick its own rate-limit bucket or the address written into audit rows.

use std::net::IpAddr;

use poem::Request;

/// The address of the client of a request, as the rate limiter decided it (a request
/// extension; `RequestMeta` writes it into audit rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// `server.trusted_proxies`, parsed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

impl TrustedProxies {
    /// Parses CIDRs (`10.0.0.0/8`, `fd00::/8`) or single addresses.
    pub fn parse(list: &[String]) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list {
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (item.as_str(), None),
            };
            let ip: IpAddr = addr
                .trim()
                .parse()
                .map_err(|_| format!("`{item}` is not an address or CIDR"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                Some(b) => b
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|b| *b <= max)
                    .ok_or_else(|| format!("`{item}`: the prefix length must be 0..={max}"))?,
                None => max,
            };
            nets.push((canonical(ip), bits));
        }
        Ok(Self(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|(net, bits)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*bits)).unwrap_or(0);
                u32::from(*n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*bits)).unwrap_or(0);
                u128::from(*n) & mask == u128::from(a) & mask
            }
            _ => false,
        })
    }

    /// The client of a request from `peer` carrying `forwarded_for`.
    pub fn client(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !self.contains(peer) {
            return Some(peer);
        }
        let hops: Vec<IpAddr> = forwarded_for
            .unwrap_or("")
            .split(',')
            .filter_map(|h| h.trim().parse::<IpAddr>().ok().map(canonical))
            .collect();
        // From the nearest hop outwards, the first address no trusted proxy vouches for.
        Some(
            hops.iter()
                .rev()
                .copied()
                .find(|ip| !self.contains(*ip))
                .or_else(|| hops.first().copied())
                .unwrap_or(peer),
        )
    }

    /// The client of `req`.
    pub fn client_of(&self, req: &Request) -> Option<IpAddr> {
        let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        self.client(peer, forwarded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let t = TrustedProxies::parse(&["10.0.0.0/8".into(), "fd00::/8".into()]).expect("parse");
        assert!(t.contains(ip("10.1.2.3")) && !t.contains(ip("11.0.0.1")));
        assert!(
            t.contains(ip("::ffff:10.0.0.9")),
            "IPv4-mapped peers match too"
        );
        assert!(t.contains(ip("fd12::1")) && !t.contains(ip("fe80::1")));
        // An untrusted peer: its header is ignored.
        assert_eq!(
            t.client(Some(ip("203.0.113.9")), Some("1.2.3.4")),
            Some(ip("203.0.113.9"))
        );
        // A trusted proxy: the nearest untrusted hop.
        assert_eq!(
            t.client(
                Some(ip("10.0.0.2")),
                Some("6.6.6.6, 198.51.100.7, 10.0.0.5")
            ),
            Some(ip("198.51.100.7"))
        );
        // Garbage hops are skipped; nothing usable leaves the peer.
        assert_eq!(
            t.client(Some(ip("10.0.0.2")), Some("nonsense")),
            Some(ip("10.0.0.2"))
        );
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["ten".into()]).is_err());
        assert!(
            TrustedProxies::default()
                .contains(ip("127.0.0.1"))
                .eq(&false)
        );
    }
}
