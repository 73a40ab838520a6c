//! Who is on the other end: the connection's address, or, when the connection comes from a
//! reverse proxy the operator trusts, the address that proxy says it forwarded for.
//!
//! Only trusted proxies are believed, and only in the one header they write: anyone can send
//! `X-Forwarded-For` or `Forwarded`, so a header from any other peer is ignored, and a client
//! cannot escape a per-address limit by writing one.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::FORWARDED;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The client's address, as far as the chain of trusted proxies vouches for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Which header the proxies write the client's address in. Only that one is read: a proxy
/// that sets one passes the other on as the client wrote it, forged or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1` (nginx's `$proxy_add_x_forwarded_for`, most balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client`.
    Forwarded,
}

/// The proxies whose forwarding header is believed (`SAMTALE_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>, header: ForwardedHeader) -> Self {
        Self { networks, header }
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.networks
            .iter()
            .any(|network| network.contains(&address))
    }

    /// The client behind `peer`: walking the forwarding chain from the nearest hop back, the
    /// first address no trusted proxy stands for. A hop that cannot be read ends the walk at
    /// the last address vouched for, so garbage in a header never becomes the client.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        for hop in forwarded_chain(headers, self.header).into_iter().rev() {
            match hop {
                Some(address) => {
                    client = canonical(address);
                    if !self.trusts(client) {
                        break;
                    }
                }
                None => break,
            }
        }
        client
    }
}

/// An IPv4 client reached over an IPv6 socket counts as the IPv4 address it is.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// The addresses a request passed through, nearest last, as `header` lists them. `None` for
/// an entry that is not an address (an obfuscated or unknown node, or garbage).
fn forwarded_chain(headers: &HeaderMap, header: ForwardedHeader) -> Vec<Option<IpAddr>> {
    match header {
        ForwardedHeader::Forwarded => headers
            .get_all(FORWARDED)
            .iter()
            .flat_map(|value| value.to_str().unwrap_or_default().split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.eq_ignore_ascii_case("for")
                        .then(|| forwarded_node(value.trim().trim_matches('"')))
                })
            })
            .collect(),
        ForwardedHeader::XForwardedFor => headers
            .get_all("x-forwarded-for")
            .iter()
            .flat_map(|value| value.to_str().unwrap_or_default().split(','))
            .map(|entry| forwarded_node(entry.trim()))
            .collect(),
    }
}

/// An address as proxies write it: bare, `1.2.3.4:port`, or `[v6]` / `[v6]:port`.
fn forwarded_node(node: &str) -> Option<IpAddr> {
    if let Ok(address) = node.parse() {
        return Some(address);
    }
    if let Ok(socket) = node.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    node.strip_prefix('[')
        .and_then(|rest| rest.split(']').next())
        .and_then(|v6| v6.parse().ok())
}

/// A network or a single address, as `SAMTALE_TRUSTED_PROXIES` lists them.
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{text}` is neither an address nor a network (CIDR)"))
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip())
            .ok_or_else(|| ApiError::Internal("the connection's address is unknown".into()))?;
        Ok(ClientAddr(
            state.trusted_proxies.client(peer, &parts.headers),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxies(networks: &[&str]) -> TrustedProxies {
        proxies_writing(networks, ForwardedHeader::XForwardedFor)
    }

    fn proxies_writing(networks: &[&str], header: ForwardedHeader) -> TrustedProxies {
        let networks = networks.iter().map(|n| parse_network(n).unwrap()).collect();
        TrustedProxies::new(networks, header)
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_peer_that_is_not_a_trusted_proxy_is_the_client_whatever_it_claims() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let claims = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            trusted.client(ip("198.51.100.7"), &claims),
            ip("198.51.100.7")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.1"), &claims),
            ip("10.0.0.1"),
            "nobody is trusted unless configured"
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let forwarded = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            trusted.client(ip("10.1.2.3"), &forwarded),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn an_address_a_client_wrote_itself_before_the_real_one_is_not_believed() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // The client sent "1.1.1.1"; the proxy appended the address it saw.
        let spoofed = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9")]);
        assert_eq!(trusted.client(ip("10.0.0.5"), &spoofed), ip("203.0.113.9"));
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked_back_to_the_first_untrusted_hop() {
        let trusted = proxies(&["10.0.0.0/8", "192.0.2.1"]);
        let chain = headers(&[
            ("x-forwarded-for", "198.51.100.20, 203.0.113.9"),
            ("x-forwarded-for", "192.0.2.1"),
        ]);
        assert_eq!(trusted.client(ip("10.0.0.5"), &chain), ip("203.0.113.9"));
    }

    #[test]
    fn only_the_header_the_proxies_write_is_read() {
        let both = headers(&[
            ("forwarded", "for=\"[2001:db8::7]:4711\";proto=https"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        let writing_forwarded = proxies_writing(&["127.0.0.1"], ForwardedHeader::Forwarded);
        assert_eq!(
            writing_forwarded.client(ip("127.0.0.1"), &both),
            ip("2001:db8::7")
        );
        let v4 = headers(&[("forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43")]);
        assert_eq!(
            writing_forwarded.client(ip("127.0.0.1"), &v4),
            ip("192.0.2.60")
        );
        // A client's own `Forwarded`, passed on by a proxy that writes X-Forwarded-For.
        let writing_xff = proxies(&["127.0.0.1"]);
        assert_eq!(
            writing_xff.client(ip("127.0.0.1"), &both),
            ip("203.0.113.9")
        );
        assert_eq!(writing_xff.client(ip("127.0.0.1"), &v4), ip("127.0.0.1"));
    }

    #[test]
    fn garbage_in_the_chain_leaves_the_last_address_vouched_for() {
        let trusted = proxies(&["10.0.0.0/8"]);
        let garbage = headers(&[("x-forwarded-for", "203.0.113.9, not-an-address")]);
        assert_eq!(trusted.client(ip("10.0.0.5"), &garbage), ip("10.0.0.5"));
        let unknown = headers(&[("forwarded", "for=unknown")]);
        let writing_forwarded = proxies_writing(&["10.0.0.0/8"], ForwardedHeader::Forwarded);
        assert_eq!(
            writing_forwarded.client(ip("10.0.0.5"), &unknown),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn an_ipv4_peer_on_an_ipv6_socket_is_matched_as_ipv4() {
        let trusted = proxies(&["127.0.0.1/32"]);
        let forwarded = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            trusted.client(ip("::ffff:127.0.0.1"), &forwarded),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn networks_are_read_as_cidrs_or_single_addresses() {
        assert!(parse_network("10.0.0.0/8").is_ok());
        assert!(parse_network(" 127.0.0.1 ").is_ok());
        assert!(parse_network("::1").is_ok());
        assert!(parse_network("10.0.0.0/33").is_err());
        assert!(parse_network("proxy.internal").is_err());
    }
}
