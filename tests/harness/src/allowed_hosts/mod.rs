//! `allowed_outbound_hosts` parsing and checking, after
//! `spin_outbound_networking_config::allowed_hosts`.
//!
//! An entry is `scheme://host[:port]`: the scheme is `*` or one alphabetic scheme; the host is
//! `*`, `*.domain` (any subdomain), `self`/`self.alt`, a literal name or IP, or a CIDR; the port
//! is `*`, a number, a range `a..b` (end excluded) or omitted, which means the scheme's
//! well-known port. Entries with `{{ variable }}` are parsed after variable resolution, and
//! checked with the manifest defaults when the app loads. Spin 4.0.2 skips no entry: one that
//! resolves to `""` or `"https://"` is refused at load (from a default) or denies every request
//! of the component (from a value given at run time).

use std::net::IpAddr;

use anyhow::{bail, Context, Result};

mod list;

pub use list::AllowList;

/// One parsed entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Option<String>,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    AnySubdomain(String),
    ToSelf,
    Domain(String),
    Cidr(IpAddr, u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    Port(u16),
    Range(u16, u16),
}

/// The scheme's well-known port, as Spin knows them.
pub fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl AllowedHost {
    /// Parses one literal entry.
    pub fn parse(entry: &str) -> Result<Self> {
        let url = entry.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            match url {
                "*" | ":" | "" | "?" => bail!(
                    "{url:?} is not an allowed outbound host format.\nHosts must be in the form <scheme>://<host>[:<port>], with '*' wildcards allowed for each.\nIf you intended to allow all outbound networking, you can use '*://*:*' - this will obviate all network sandboxing."
                ),
                _ => bail!("{url:?} does not contain a scheme (e.g., 'http://' or '*://')"),
            }
        };
        let (host, rest) = rest.rsplit_once(':').unwrap_or((rest, ""));
        let port = match rest.split_once('/') {
            Some((_, path)) if !path.is_empty() => {
                bail!("{url:?} has a path but is not allowed to")
            }
            Some((port, _)) => port,
            None => rest,
        };
        let port = parse_port(port, scheme)
            .with_context(|| format!("Invalid allowed host port {port:?}"))?;
        let scheme = parse_scheme(scheme)
            .with_context(|| format!("Invalid allowed host scheme {scheme:?}"))?;
        let host = parse_host(host).with_context(|| format!("Invalid allowed host {host:?}"))?;
        Ok(Self { scheme, host, port })
    }

    /// Whether this entry allows `url`.
    pub fn allows(&self, url: &OutboundUrl) -> bool {
        let scheme_ok = self.scheme.as_deref().is_none_or(|s| s == url.scheme);
        let port_ok = match &self.port {
            PortPattern::Any => true,
            pattern => match url.port.or_else(|| well_known_port(&url.scheme)) {
                Some(p) => match pattern {
                    PortPattern::Port(x) => *x == p,
                    PortPattern::Range(a, b) => (*a..*b).contains(&p),
                    PortPattern::Any => true,
                },
                None => false,
            },
        };
        scheme_ok && port_ok && self.host_allows(&url.host)
    }

    fn host_allows(&self, host: &str) -> bool {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let ip: Option<IpAddr> = bare.parse().ok();
        match (&self.host, ip) {
            (HostPattern::Any, _) => true,
            (HostPattern::AnySubdomain(suffix), None) => {
                host.to_ascii_lowercase().ends_with(suffix)
            }
            (HostPattern::Domain(d), None) => host.eq_ignore_ascii_case(d),
            (HostPattern::Cidr(net, bits), Some(ip)) => cidr_contains(*net, *bits, ip),
            _ => false,
        }
    }

    /// Whether relative ("self") requests with one of `schemes` are allowed by this entry.
    pub fn allows_relative(&self, schemes: &[&str]) -> bool {
        let scheme_ok = schemes
            .iter()
            .any(|s| self.scheme.as_deref().is_none_or(|x| x == *s));
        scheme_ok && matches!(self.host, HostPattern::Any | HostPattern::ToSelf)
    }
}

fn parse_scheme(scheme: &str) -> Result<Option<String>> {
    if scheme == "*" {
        return Ok(None);
    }
    if scheme.starts_with('{') {
        bail!("scheme lists are not supported");
    }
    if scheme.chars().any(|c| !c.is_alphabetic()) {
        bail!("only alphabetic characters are allowed");
    }
    Ok(Some(scheme.to_string()))
}

fn parse_host(host: &str) -> Result<HostPattern> {
    let host = host.trim();
    if host == "*" {
        return Ok(HostPattern::Any);
    }
    if host == "self" || host == "self.alt" {
        return Ok(HostPattern::ToSelf);
    }
    if host.starts_with('{') {
        bail!("host lists are not yet supported");
    }
    if let Some((net, bits)) = parse_cidr(host) {
        return Ok(HostPattern::Cidr(net, bits));
    }
    let host = host.trim_end_matches('/');
    if host.contains('/') {
        bail!("must not include a path");
    }
    if let Some(domain) = host.strip_prefix("*.") {
        if domain.contains('*') {
            bail!("wildcards are allowed only as prefixes");
        }
        return Ok(HostPattern::AnySubdomain(format!(
            ".{}",
            domain.to_ascii_lowercase()
        )));
    }
    if host.contains('*') {
        bail!("wildcards are allowed only as subdomains");
    }
    url::Host::parse(host).with_context(|| format!("invalid host {host:?}"))?;
    Ok(HostPattern::Domain(host.to_ascii_lowercase()))
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    let (ip, bits) = match bare.split_once('/') {
        Some((ip, bits)) => (ip.parse::<IpAddr>().ok()?, bits.parse::<u8>().ok()?),
        None => {
            let ip = bare.parse::<IpAddr>().ok()?;
            (ip, if ip.is_ipv4() { 32 } else { 128 })
        }
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((ip, bits))
}

fn cidr_contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

fn parse_port(port: &str, scheme: &str) -> Result<PortPattern> {
    if port.is_empty() {
        return well_known_port(scheme).map(PortPattern::Port).with_context(|| {
            format!("no port was provided and the scheme {scheme:?} does not have a known default port number")
        });
    }
    if port == "*" {
        return Ok(PortPattern::Any);
    }
    if port.starts_with('{') {
        bail!("port lists are not yet supported");
    }
    if let Some((a, b)) = port.split_once("..") {
        let a = a
            .parse()
            .with_context(|| format!("port range {port:?} contains non-number"))?;
        let b = b
            .parse()
            .with_context(|| format!("port range {port:?} contains non-number"))?;
        return Ok(PortPattern::Range(a, b));
    }
    Ok(PortPattern::Port(port.parse().with_context(|| {
        format!("port {port:?} is not a number")
    })?))
}

/// The destination of an outbound request, as the allow-list sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundUrl {
    /// Lower-case scheme.
    pub scheme: String,
    /// Host as it appears in the URL (IPv6 in brackets).
    pub host: String,
    /// Explicit port, `None` when absent or the scheme's default.
    pub port: Option<u16>,
}

impl OutboundUrl {
    /// Parses a URL; like Spin, a URL without a host is retried with `{default_scheme}://`.
    pub fn parse(url: &str, default_scheme: &str) -> Result<Self> {
        let parsed = match url::Url::parse(url) {
            Ok(u) if u.has_host() => u,
            _ => url::Url::parse(&format!("{default_scheme}://{url}"))?,
        };
        Ok(Self {
            scheme: parsed.scheme().to_string(),
            host: parsed.host_str().context("URL has no host")?.to_string(),
            port: parsed.port(),
        })
    }

    /// `host[:port]`, as in Spin's "destination not allowed" message.
    pub fn authority(&self) -> String {
        match self.port {
            Some(p) => format!("{}:{p}", self.host),
            None => self.host.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entry: &str, url: &str) -> bool {
        let e = AllowedHost::parse(entry).expect("entry");
        e.allows(&OutboundUrl::parse(url, "https").expect("url"))
    }

    #[test]
    fn default_ports_follow_the_scheme() {
        assert!(allows(
            "https://api.example.com",
            "https://api.example.com/v1"
        ));
        assert!(allows(
            "https://api.example.com",
            "https://api.example.com:443/"
        ));
        assert!(!allows(
            "https://api.example.com",
            "https://api.example.com:8443/"
        ));
        assert!(!allows(
            "https://api.example.com",
            "http://api.example.com/"
        ));
        assert!(allows("http://127.0.0.1:8080", "http://127.0.0.1:8080/x"));
        assert!(!allows("http://127.0.0.1:8080", "http://127.0.0.1:8081/x"));
    }

    #[test]
    fn wildcards_ranges_and_cidrs() {
        assert!(allows("*://*:*", "http://anything:1234/"));
        assert!(allows("https://*.example.com", "https://a.b.example.com/"));
        assert!(!allows("https://*.example.com", "https://example.com/"));
        assert!(allows(
            "http://localhost:8000..8002",
            "http://localhost:8001/"
        ));
        assert!(!allows(
            "http://localhost:8000..8002",
            "http://localhost:8002/"
        ));
        assert!(allows("http://10.0.0.0/8:*", "http://10.1.2.3:99/"));
        assert!(!allows("http://10.0.0.0/8:*", "http://11.1.2.3:99/"));
        assert!(allows("*://example.com:443", "https://example.com/"));
    }

    #[test]
    fn malformed_entries_are_errors() {
        for bad in [
            "*",
            "",
            "example.com",
            "https://example.com/path",
            "https://a.*.com",
            "foo://x",
            "https://x:abc",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad}");
        }
        assert!(AllowedHost::parse("https://example.com/").is_ok());
    }
}
