//! On real loopback sockets: keys and minimum TTLs change who can connect.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket};

use crate::{set_md5_key, set_md5_key_prefix, set_min_ttl, set_ttl};

const LO4: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
const LO6: IpAddr = IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);

fn socket(to: SocketAddr) -> TcpSocket {
    if to.is_ipv4() {
        TcpSocket::new_v4().unwrap()
    } else {
        TcpSocket::new_v6().unwrap()
    }
}

/// Connect to `l` with this client key and TTL; whether a byte made it
/// through to the accepting side. A dropped SYN shows as a timeout.
async fn reaches(l: &TcpListener, to: SocketAddr, key: Option<&[u8]>, ttl: Option<u8>) -> bool {
    let s = socket(to);
    if let Some(k) = key {
        set_md5_key(&s, to.ip(), k).unwrap();
    }
    if let Some(t) = ttl {
        set_ttl(&s, t).unwrap();
    }
    let client = async {
        let mut c = s.connect(to).await?;
        c.write_all(b"x").await
    };
    let server = async {
        let (mut a, _) = l.accept().await?;
        let mut b = [0u8; 1];
        a.read_exact(&mut b).await.map(|_| b)
    };
    let both = async { tokio::join!(client, server) };
    match tokio::time::timeout(Duration::from_millis(1500), both).await {
        Ok((Ok(()), Ok(b))) => b == *b"x",
        _ => false,
    }
}

async fn listen(at: &str) -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind(at).await.unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}

#[tokio::test]
async fn keys_set_and_removed_on_listening_sockets() {
    let (l4, _) = listen("127.0.0.1:0").await;
    set_md5_key(&l4, "192.0.2.1".parse().unwrap(), b"secret").unwrap();
    set_md5_key(&l4, "192.0.2.1".parse().unwrap(), b"").unwrap();
    // Removing again is fine: the daemon removes without tracking state.
    set_md5_key(&l4, "192.0.2.1".parse().unwrap(), b"").unwrap();
    set_md5_key_prefix(&l4, "198.51.100.0".parse().unwrap(), 24, b"k").unwrap();
    set_md5_key_prefix(&l4, "198.51.100.0".parse().unwrap(), 24, b"").unwrap();
    // An IPv6 peer cannot be keyed on an IPv4 socket; too long a key is refused.
    let e = set_md5_key(&l4, "2001:db8::1".parse().unwrap(), b"k").unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    let e = set_md5_key(&l4, LO4, &[b'k'; 81]).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    set_md5_key(&l4, LO4, &[b'k'; 80]).unwrap();

    let (l6, _) = listen("[::1]:0").await;
    set_md5_key(&l6, "2001:db8::1".parse().unwrap(), b"secret").unwrap();
    set_md5_key(&l6, "192.0.2.1".parse().unwrap(), b"secret").unwrap();
}

#[tokio::test]
async fn matching_md5_keys_connect_and_others_do_not() {
    for at in ["127.0.0.1:0", "[::1]:0"] {
        let (l, to) = listen(at).await;
        assert!(reaches(&l, to, None, None).await, "{at}: no keys anywhere");
        set_md5_key(&l, to.ip(), b"right").unwrap();
        assert!(
            reaches(&l, to, Some(b"right"), None).await,
            "{at}: same key"
        );
        assert!(
            !reaches(&l, to, Some(b"wrong"), None).await,
            "{at}: wrong key"
        );
        assert!(!reaches(&l, to, None, None).await, "{at}: unsigned SYN");
        // Removed on the listener: a signed SYN is now unexpected, an
        // unsigned one welcome again.
        set_md5_key(&l, to.ip(), b"").unwrap();
        assert!(
            !reaches(&l, to, Some(b"right"), None).await,
            "{at}: key removed"
        );
        assert!(
            reaches(&l, to, None, None).await,
            "{at}: key removed, unsigned"
        );
    }
}

#[tokio::test]
async fn ipv4_peer_keyed_on_a_dual_stack_socket() {
    let (l, port) = listen("[::]:0").await;
    let to = SocketAddr::new(LO4, port.port());
    set_md5_key(&l, LO4, b"mapped").unwrap();
    assert!(reaches(&l, to, Some(b"mapped"), None).await);
    assert!(!reaches(&l, to, Some(b"other"), None).await);
}

#[tokio::test]
async fn prefix_key_covers_the_range() {
    let (l, to) = listen("127.0.0.1:0").await;
    set_md5_key_prefix(&l, "127.0.0.0".parse().unwrap(), 8, b"range").unwrap();
    assert!(reaches(&l, to, Some(b"range"), None).await);
    assert!(!reaches(&l, to, Some(b"other"), None).await);
    let (l6, to6) = listen("[::1]:0").await;
    set_md5_key_prefix(&l6, LO6, 128, b"range6").unwrap();
    assert!(reaches(&l6, to6, Some(b"range6"), None).await);
}

#[tokio::test]
async fn min_ttl_drops_packets_sent_with_a_lower_ttl() {
    // Loopback does not decrement: what the client sends is what arrives.
    for at in ["127.0.0.1:0", "[::1]:0"] {
        let (l, to) = listen(at).await;
        set_min_ttl(&l, 255).unwrap();
        assert!(!reaches(&l, to, None, Some(64)).await, "{at}: TTL 64");
        assert!(reaches(&l, to, None, Some(255)).await, "{at}: TTL 255");
        set_min_ttl(&l, 0).unwrap();
        assert!(reaches(&l, to, None, Some(64)).await, "{at}: check off");
    }
}

#[tokio::test]
async fn min_ttl_guards_ipv4_peers_on_a_dual_stack_socket() {
    let (l, port) = listen("[::]:0").await;
    let to = SocketAddr::new(LO4, port.port());
    set_min_ttl(&l, 254).unwrap();
    assert!(!reaches(&l, to, None, Some(253)).await);
    assert!(reaches(&l, to, None, Some(254)).await);
}
