//! Where a delivery may go. An endpoint's URL must be `https`, and its host must be,
//! or resolve only to, addresses that are not loopback, private, link-local,
//! unspecified (nor multicast, broadcast, shared, documentation or reserved: nothing a
//! server on the internet has), in IPv4 and IPv6 alike, IPv4 inside IPv6 included
//! (mapped, compatible, NAT64, 6to4). Otherwise someone who may add an endpoint could
//! make the server call what only it can reach (server-side request forgery). A
//! deployment may allow `http` and such addresses (`--webhook-allow-private`), for
//! development and tests.
//!
//! The check is made when an endpoint is added and again for every delivery, on the
//! addresses then resolved, which are the ones connected to (so a name that resolves
//! elsewhere later cannot get around it).

use orders_core::domain::WebhookUrl;
use orders_core::ports::TargetRefused;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use url::Host;

/// Longest wait for a name to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Which targets deliveries may go to; by default only public `https` ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Allow `http` and addresses that are not public (development and tests).
    pub allow_private: bool,
}

impl TargetPolicy {
    /// Whether deliveries may go to `url`, resolving its host.
    pub async fn check(&self, url: &WebhookUrl) -> Result<(), TargetRefused> {
        self.check_literal(url)?;
        if let Some(Host::Domain(host)) = url.url().host() {
            self.resolve(host).await?;
        }
        Ok(())
    }

    /// Whether `url`'s scheme, and its host when that is an address, are allowed; a
    /// host name is checked when it is resolved ([`TargetPolicy::resolve`]).
    pub fn check_literal(&self, url: &WebhookUrl) -> Result<(), TargetRefused> {
        if url.url().scheme() != "https" && !self.allow_private {
            return Err(TargetRefused::NotHttps);
        }
        let address = match url.url().host() {
            Some(Host::Ipv4(address)) => IpAddr::V4(address),
            Some(Host::Ipv6(address)) => IpAddr::V6(address),
            _ => return Ok(()),
        };
        self.allowed(url.url().host_str().unwrap_or_default(), address)
    }

    /// The addresses `host` resolves to, if every one of them is allowed.
    pub async fn resolve(&self, host: &str) -> Result<Vec<SocketAddr>, TargetRefused> {
        let unresolvable = || TargetRefused::Unresolvable { host: host.to_owned() };
        let lookup = tokio::net::lookup_host((host, 0));
        let addresses: Vec<SocketAddr> = match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
            Ok(Ok(addresses)) => addresses.collect(),
            Ok(Err(_)) | Err(_) => return Err(unresolvable()),
        };
        if addresses.is_empty() {
            return Err(unresolvable());
        }
        for address in &addresses {
            self.allowed(host, address.ip())?;
        }
        Ok(addresses)
    }

    fn allowed(&self, host: &str, address: IpAddr) -> Result<(), TargetRefused> {
        if self.allow_private || is_public(address) {
            Ok(())
        } else {
            Err(TargetRefused::Private { host: host.to_owned(), address })
        }
    }
}

/// Whether `address` is one a server on the internet may have.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(address: Ipv4Addr) -> bool {
    let [a, b, ..] = address.octets();
    let shared = a == 100 && (64..128).contains(&b);
    let this_network = a == 0;
    let protocol_assignments = a == 192 && b == 0 && address.octets()[2] == 0;
    let benchmarking = a == 198 && (b == 18 || b == 19);
    let reserved = a >= 240;
    !(address.is_loopback()
        || address.is_private()
        || address.is_link_local()
        || address.is_unspecified()
        || address.is_broadcast()
        || address.is_multicast()
        || address.is_documentation()
        || shared
        || this_network
        || protocol_assignments
        || benchmarking
        || reserved)
}

fn is_public_v6(address: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(address) {
        return is_public_v4(v4);
    }
    let segments = address.segments();
    let documentation = segments[0] == 0x2001 && segments[1] == 0x0db8;
    let site_local = segments[0] & 0xffc0 == 0xfec0;
    !(address.is_loopback()
        || address.is_unspecified()
        || address.is_multicast()
        || address.is_unique_local()
        || address.is_unicast_link_local()
        || site_local
        || documentation)
}

/// The IPv4 address an IPv6 address carries: IPv4-mapped (`::ffff:a.b.c.d`),
/// IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`).
fn embedded_v4(address: Ipv6Addr) -> Option<Ipv4Addr> {
    let segments = address.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = address.to_ipv4_mapped() {
        return Some(v4);
    }
    match segments {
        [0, 0, 0, 0, 0, 0, hi, lo] if !(hi == 0 && lo <= 1) => Some(low(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &str) -> bool {
        !is_public(raw.parse().unwrap())
    }

    #[test]
    fn addresses_no_internet_server_has_are_refused_in_every_form() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2002:c0a8:0101::1",
            "ff02::1",
        ] {
            assert!(refused(address), "{address} was allowed");
        }
        for address in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"] {
            assert!(!refused(address), "{address} was refused");
        }
    }

    #[tokio::test]
    async fn http_and_private_hosts_are_refused_unless_the_deployment_allows_them() {
        let strict = TargetPolicy { allow_private: false };
        let open = TargetPolicy { allow_private: true };
        let url = |raw: &str| WebhookUrl::parse(raw).unwrap();
        assert_eq!(strict.check(&url("http://93.184.216.34/")).await, Err(TargetRefused::NotHttps));
        assert!(matches!(strict.check(&url("https://127.0.0.1:8443/")).await, Err(TargetRefused::Private { .. })));
        assert!(matches!(strict.check(&url("https://[::ffff:10.0.0.1]/")).await, Err(TargetRefused::Private { .. })));
        assert!(matches!(strict.check(&url("https://localhost/")).await, Err(TargetRefused::Private { .. })));
        assert!(matches!(
            strict.check(&url("https://no-such-host.invalid/")).await,
            Err(TargetRefused::Unresolvable { .. })
        ));
        assert_eq!(open.check(&url("http://127.0.0.1:9/")).await, Ok(()));
        assert_eq!(open.check(&url("http://localhost:9/")).await, Ok(()));
    }
}
