//! Server-side request forgery defence for the documents a client points Tessera at (its wallet
//! address and `jwks.json`).
//!
//! The URL comes from an unauthenticated request, so without care anyone could make Tessera send
//! GET requests into the operator's own network (cloud metadata at 169.254.169.254, an admin
//! port on loopback, the internal listener). Unless `--allow-http` is set (local development),
//! Tessera only fetches from public addresses, and checks that **after DNS resolution**: a
//! hostname that resolves to 127.0.0.1 is refused just like the literal address, because
//! [`PublicOnlyResolver`] drops every non-public address before reqwest connects. Checking the
//! name alone would not do (DNS is the attacker's to answer), and checking a separate lookup
//! before the fetch would leave a rebinding window; filtering the very addresses reqwest connects
//! to leaves none. Literal IP hosts skip the resolver, so [`check_literal_host`] covers them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A fetch refused because its host is not on the public internet.
#[derive(Debug, thiserror::Error)]
#[error("{0} is not a public address")]
pub struct NonPublicAddress(pub String);

/// Whether `ip` may be fetched from: not unspecified, loopback, private, link-local,
/// unique-local, shared (CGNAT), multicast, broadcast, documentation, benchmarking or reserved,
/// including the IPv4 addresses embedded in IPv6 (mapped, compatible, NAT64, 6to4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || a == 0 // "this network" 0.0.0.0/8
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || (a == 100 && (64..128).contains(&b)) // shared address space 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0.0/24
        || ip.is_documentation()
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18.0.0/15
        || ip.is_multicast()
        || a >= 240) // reserved 240.0.0.0/4 and broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || (first & 0xffc0) == 0xfec0 // deprecated site-local fec0::/10
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation 2001:db8::/32
        || (first == 0x2001 && ip.segments()[1] == 0) // Teredo 2001::/32: tunnels to anywhere
        || ip.segments()[..4] == [0x0100, 0, 0, 0]) // discard-only 100::/64
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped `::ffff:a.b.c.d`, the deprecated
/// IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, and 6to4 `2002:aabb:ccdd::`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let pair = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    match s {
        [0, 0, 0, 0, 0, 0, hi, lo] if !ip.is_unspecified() && !ip.is_loopback() => {
            Some(pair(hi, lo))
        }
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] | [0x2002, hi, lo, ..] => Some(pair(hi, lo)),
        _ => None,
    }
}

/// Refuses a URL whose host is a literal non-public IP address (reqwest connects to those
/// without asking the resolver). Hostnames pass here and are checked by [`PublicOnlyResolver`].
pub fn check_literal_host(url: &url::Url) -> Result<(), NonPublicAddress> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err(NonPublicAddress("a URL without a host".into())),
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err(NonPublicAddress(ip.to_string()))
    }
}

/// The system resolver, minus every address [`is_public`] refuses; fails when none is left.
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = resolved.filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(NonPublicAddress(host)) as _);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The refusal by this policy that caused a reqwest error, if one did (somewhere in its chain).
pub fn policy_refusal(error: &reqwest::Error) -> Option<&NonPublicAddress> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(refusal) = e.downcast_ref::<NonPublicAddress>() {
            return Some(refusal);
        }
        source = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_refused() {
        for refused in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
        ] {
            let ip: IpAddr = refused.parse().unwrap();
            assert!(!is_public(ip), "{refused} must be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for allowed in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "198.20.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            let ip: IpAddr = allowed.parse().unwrap();
            assert!(is_public(ip), "{allowed} must be allowed");
        }
    }

    #[test]
    fn literal_hosts_are_checked_and_names_left_to_the_resolver() {
        let check = |u: &str| check_literal_host(&url::Url::parse(u).unwrap());
        assert!(check("https://127.0.0.1/alice").is_err());
        assert!(check("https://[::1]:8443/alice").is_err());
        assert!(check("https://[::ffff:169.254.169.254]/alice").is_err());
        assert!(
            check("https://2130706433/alice").is_err(),
            "127.0.0.1 as a number"
        );
        assert!(check("https://0x7f.1/alice").is_err(), "127.0.0.1 in hex");
        assert!(check("https://8.8.8.8/alice").is_ok());
        assert!(check("https://localhost/alice").is_ok());
    }
}
