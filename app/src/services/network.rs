//! Client networks: the blocks of addresses that limits and fair delivery count by, since
//! one party usually holds a whole block (a home's IPv6 /64, a site's /48, an IPv4 /24).

use std::net::{IpAddr, Ipv6Addr};

/// `ip`'s block of `v4_prefix` bits if it is IPv4 (or IPv4-mapped IPv6), else of
/// `v6_prefix` bits: `198.51.100.0/24`, `2001:db8::/48`, or the bare address for a full
/// prefix.
pub fn block(ip: IpAddr, v4_prefix: u8, v6_prefix: u8) -> String {
    let v4 = match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    };
    match v4 {
        Some(v4) if v4_prefix >= 32 => v4.to_string(),
        Some(v4) => {
            let bits =
                u32::from(v4) & (u32::MAX.checked_shl(32 - u32::from(v4_prefix)).unwrap_or(0));
            format!("{}/{v4_prefix}", std::net::Ipv4Addr::from(bits))
        }
        None => {
            let IpAddr::V6(v6) = ip else { unreachable!("IPv4 handled above") };
            if v6_prefix >= 128 {
                return v6.to_string();
            }
            let mask = u128::MAX.checked_shl(128 - u32::from(v6_prefix)).unwrap_or(0);
            format!("{}/{v6_prefix}", Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

/// The network that sign-in mail is shared out fairly between: an IPv4 /24 or an IPv6 /48,
/// the smallest blocks a flood cannot cheaply spread over.
pub fn mail_network(ip: IpAddr) -> String {
    block(ip, 24, 48)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_of_each_family() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(block(ip("198.51.100.7"), 32, 64), "198.51.100.7");
        assert_eq!(block(ip("198.51.100.7"), 24, 48), "198.51.100.0/24");
        assert_eq!(block(ip("::ffff:198.51.100.7"), 24, 48), "198.51.100.0/24");
        assert_eq!(block(ip("2001:db8:1234:5678:9abc::1"), 24, 64), "2001:db8:1234:5678::/64");
        assert_eq!(mail_network(ip("2001:db8:1234:5678:9abc::1")), "2001:db8:1234::/48");
        assert_eq!(block(ip("2001:db8::1"), 32, 128), "2001:db8::1");
        assert_eq!(block(ip("10.1.2.3"), 0, 0), "0.0.0.0/0");
    }
}
