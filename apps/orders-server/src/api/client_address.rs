//! The address a request comes from: the peer's, or, when the peer is a proxy the
//! operator trusts, the nearest address in `X-Forwarded-For` that no trusted proxy
//! added. Addresses in the header that no trusted proxy vouches for are ignored, so a
//! client cannot pick the address it is limited under.

use ipnet::IpNet;
use poem::Request;
use std::net::IpAddr;

/// The proxies whose `X-Forwarded-For` is believed, as networks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list of networks (`10.0.0.0/8`) or addresses (`10.1.2.3`);
    /// empty trusts none.
    pub fn parse(list: &str) -> Result<Self, String> {
        let networks = list
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{item:?} is neither an IP address nor a network such as 10.0.0.0/8"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self(networks))
    }

    fn trust(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(&address))
    }

    /// The address `request` comes from; `None` when it did not come over IP (tests in
    /// process).
    pub fn client_address(&self, request: &Request) -> Option<IpAddr> {
        let peer = request.remote_addr().as_socket_addr()?.ip();
        let forwarded = request.headers().get_all("x-forwarded-for").iter().filter_map(|value| value.to_str().ok());
        Some(self.nearest_untrusted(peer, forwarded))
    }

    /// Walks from `peer` back through the `X-Forwarded-For` lists (each proxy appends
    /// the address it received from), while the address at hand is a trusted proxy.
    fn nearest_untrusted<'a>(&self, peer: IpAddr, forwarded: impl DoubleEndedIterator<Item = &'a str>) -> IpAddr {
        let mut client = peer.to_canonical();
        let hops = forwarded.rev().flat_map(|list| list.rsplit(',').map(str::trim).collect::<Vec<_>>());
        for hop in hops {
            if !self.trust(client) {
                break;
            }
            match hop.parse::<IpAddr>() {
                Ok(address) => client = address.to_canonical(),
                Err(_) => break,
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn client(proxies: &str, peer: &str, forwarded: &[&str]) -> IpAddr {
        TrustedProxies::parse(proxies).unwrap().nearest_untrusted(ip(peer), forwarded.iter().copied())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(client("", "203.0.113.9", &["198.51.100.1"]), ip("203.0.113.9"));
        assert_eq!(client("10.0.0.0/8", "203.0.113.9", &["198.51.100.1"]), ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_address_they_did_not_add_is_the_client() {
        // The client forged the first entry; the proxy 10.0.0.2 appended what it saw.
        let forwarded = ["6.6.6.6, 198.51.100.7", "10.0.0.2"];
        assert_eq!(client("10.0.0.0/8", "10.0.0.1", &forwarded), ip("198.51.100.7"));
        assert_eq!(client("10.0.0.1", "10.0.0.1", &forwarded), ip("10.0.0.2"));
    }

    #[test]
    fn a_header_of_only_trusted_hops_or_garbage_stops_at_the_last_address_known() {
        assert_eq!(client("10.0.0.0/8", "10.0.0.1", &["10.0.0.3"]), ip("10.0.0.3"));
        assert_eq!(client("10.0.0.0/8", "10.0.0.1", &["198.51.100.7, junk"]), ip("10.0.0.1"));
        assert_eq!(client("10.0.0.0/8", "10.0.0.1", &[]), ip("10.0.0.1"));
    }

    #[test]
    fn mapped_ipv4_is_ipv4() {
        assert_eq!(client("127.0.0.1", "::ffff:127.0.0.1", &["198.51.100.7"]), ip("198.51.100.7"));
    }

    #[test]
    fn a_bad_list_is_refused_in_one_sentence() {
        assert_eq!(TrustedProxies::parse(" ").unwrap(), TrustedProxies::default());
        let error = TrustedProxies::parse("10.0.0.0/8, proxy.local").unwrap_err();
        assert!(error.contains("\"proxy.local\""), "{error}");
    }
}
