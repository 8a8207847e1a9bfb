//! The API's access rules with real clients (rbgpctl): a read-only
//! listener refuses every mutating RPC with PERMISSION_DENIED, an mTLS
//! listener refuses clients without a certificate from its client CA, a
//! token listener refuses requests without the token and closes
//! connections that make no authorized call; one source cannot take every
//! connection slot; and bad input is
//! INVALID_ARGUMENT naming the field. rbgpd runs on loopback with no BGP
//! listener; certificates are made by the test with rcgen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod ctl;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ctl::ctl;
use rbgp_testkit::{free_port, Daemon};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

/// rbgpd, killed when dropped, then its directory removed.
struct Rbgpd {
    daemon: Daemon,
    dir: PathBuf,
}

impl Drop for Rbgpd {
    fn drop(&mut self) {
        self.daemon.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Rbgpd {
    /// rbgpd on `conf` in `dir`, once its Unix socket answers (the
    /// configuration's `state_dir` must be `dir/state`).
    fn start(dir: &Path, conf: &str) -> Rbgpd {
        let log = std::fs::File::create(dir.join("rbgpd.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_rbgpd"))
            .arg(conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let d = Rbgpd {
            daemon: Daemon::new("rbgpd", child, "KILL"),
            dir: dir.to_path_buf(),
        };
        let sock = format!("unix://{}", dir.join("state/rbgpd.sock").display());
        let end = Instant::now() + Duration::from_secs(20);
        while !ctl(&sock, "health").0 {
            assert!(
                Instant::now() < end,
                "rbgpd did not come up:\n{}",
                std::fs::read_to_string(dir.join("rbgpd.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        d
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// A CA; a certificate for `names` signed by it, as (cert PEM, key PEM).
fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(rcgen::DnType::CommonName, name);
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

fn leaf(issuer: &CertifiedIssuer<'static, KeyPair>, names: &[&str]) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let p =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let cert = p.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn read_only_mtls_and_token_listeners_refuse_what_they_must() {
    let dir = std::env::temp_dir().join(format!("rbgp-api-sec-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    let good_ca = ca("rbgp test CA");
    let rogue_ca = ca("someone else");
    let (srv_cert, srv_key) = leaf(&good_ca, &["localhost", "127.0.0.1"]);
    let (cli_cert, cli_key) = leaf(&good_ca, &["automation"]);
    let (rogue_cert, rogue_key) = leaf(&rogue_ca, &["intruder"]);
    let f = |n: &str, t: &str| write(&dir, n, t);
    let (ca_pem, srv_c, srv_k) = (
        f("ca.pem", &good_ca.pem()),
        f("srv.pem", &srv_cert),
        f("srv.key", &srv_key),
    );
    let (cli_c, cli_k) = (f("cli.pem", &cli_cert), f("cli.key", &cli_key));
    let (rogue_c, rogue_k) = (f("rogue.pem", &rogue_cert), f("rogue.key", &rogue_key));
    let token = f("token", "s3cret-token-for-the-api-test\n");
    let wrong_token = f("wrong", "not-the-token-of-this-daemon\n");

    let (tls_port, token_port) = (free_port(), free_port());
    let state = dir.join("state");
    let conf = f(
        "rbgpd.toml",
        &format!(
            r#"
[global]
asn = 65001
router_id = "192.0.2.1"
listen = []
state_dir = "{}"
import_policy = ["accept_all"]
export_policy = ["accept_all"]

[api]
read_only = true

[[api.listeners]]
address = "127.0.0.1:{tls_port}"
cert = "{srv_c}"
key = "{srv_k}"
client_ca = "{ca_pem}"

[[api.listeners]]
address = "127.0.0.1:{token_port}"
token_file = "{token}"
read_only = true
"#,
            state.display()
        ),
    );
    let d = Rbgpd::start(&dir, &conf);
    let sock = format!("unix://{}", state.join("rbgpd.sock").display());
    let add = "rib add 203.0.113.7/32 --nexthop 192.0.2.1 --community 65535:666";

    // The Unix socket is read-only here: reads work, every mutation is refused.
    let (ok, out) = ctl(&sock, "health");
    assert!(ok && out.contains("read-only listener"), "{out}");
    for m in [
        add,
        "rib delete 203.0.113.7/32",
        "neighbor 192.0.2.9 add --asn 65009",
        "flowspec add destination 10.0.0.0/8 then discard",
        "shutdown",
    ] {
        let (ok, out) = ctl(&sock, m);
        assert!(!ok && out.contains("PermissionDenied"), "{m}: {out}");
    }
    // The socket is 0600.
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(state.join("rbgpd.sock"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // mTLS: a certificate from the client CA may change things...
    let https = format!("https://localhost:{tls_port}");
    let with = |cert: &str, key: &str, cmd: &str| {
        let mut args = vec!["--ca", &ca_pem, "--cert", cert, "--key", key];
        args.extend(cmd.split_whitespace());
        ctl::ctl_args(&https, &args)
    };
    let (ok, out) = with(&cli_c, &cli_k, add);
    assert!(ok, "{out}");
    let (ok, out) = with(&cli_c, &cli_k, "rib 203.0.113.7/32 --exact");
    assert!(
        ok && out.contains("203.0.113.7/32") && out.contains("blackhole"),
        "{out}"
    );
    // ...no certificate, or one from another CA, gets nothing at all.
    let (ok, out) = ctl::ctl_args(&https, &["--ca", &ca_pem, "health"]);
    assert!(!ok, "no client certificate was accepted: {out}");
    let (ok, out) = with(&rogue_c, &rogue_k, "health");
    assert!(!ok, "a certificate from another CA was accepted: {out}");

    // Token listener (read-only): no token or a wrong one is refused,
    // the right one may read but not write.
    let http = format!("http://127.0.0.1:{token_port}");
    let (ok, out) = ctl(&http, "health");
    assert!(!ok && out.contains("Unauthenticated"), "{out}");
    let (ok, out) = ctl::ctl_args(&http, &["--token-file", &wrong_token, "health"]);
    assert!(!ok && out.contains("Unauthenticated"), "{out}");
    let (ok, out) = ctl::ctl_args(&http, &["--token-file", &token, "rib", "--json"]);
    assert!(ok && out.contains("blackhole"), "{out}");
    let (ok, out) = ctl::ctl_args(
        &http,
        &["--token-file", &token, "rib", "delete", "203.0.113.7/32"],
    );
    assert!(!ok && out.contains("PermissionDenied"), "{out}");

    // Invalid input names the field.
    let (ok, out) = with(
        &cli_c,
        &cli_k,
        "rib add 10.0.0.0/24 --nexthop 192.0.2.1 --community 70000:1",
    );
    assert!(
        !ok && out.contains("InvalidArgument") && out.contains("path.communities[0]"),
        "{out}"
    );
    let (ok, out) = with(&cli_c, &cli_k, "rib add 10.0.0.1/24 --nexthop 192.0.2.1");
    assert!(
        !ok && out.contains("path.prefix") && out.contains("10.0.0.0/24"),
        "{out}"
    );
    let (ok, out) = with(&cli_c, &cli_k, "neighbor 192.0.2.9 add");
    assert!(!ok && out.contains("neighbor.settings.remote_asn"), "{out}");
    drop(d);
}

/// `[api] max_connections`: each listener holds that many connections and
/// closes one more as it is accepted (the Unix socket and a TCP listener
/// alike); a freed slot takes the next client.
#[test]
fn a_full_listener_closes_new_connections() {
    let (d, _token, port) = token_listener("full", "[api]\nmax_connections = 4\n");
    let state = d.dir.join("state");
    let path = state.join("rbgpd.sock");
    let sock = format!("unix://{}", path.display());
    let rbgpd_log = || std::fs::read_to_string(d.dir.join("rbgpd.log")).unwrap_or_default();
    // What the server sends first on a connection: its HTTP/2 SETTINGS
    // (RFC 9113 §3.4) when taken, nothing (EOF) when closed.
    fn first_bytes(c: &mut impl std::io::Read) -> usize {
        let mut buf = [0u8; 64];
        c.read(&mut buf).unwrap_or(0)
    }
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut c = std::os::unix::net::UnixStream::connect(&path).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert!(
            first_bytes(&mut c) > 0,
            "a connection within the limit is served"
        );
        held.push(c);
    }
    let mut extra = std::os::unix::net::UnixStream::connect(&path).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(first_bytes(&mut extra), 0, "the fifth is closed");
    assert!(
        !ctl(&sock, "health").0,
        "no client gets in while four are held"
    );

    // TCP: one source holds an eighth of the slots (here one), four
    // sources fill the listener.
    let mut tcp_held = Vec::new();
    for i in 1..=4 {
        let mut c = tcp_from(&format!("127.0.0.{i}"), port);
        assert!(first_bytes(&mut c) > 0, "TCP: within the limit");
        tcp_held.push(c);
    }
    let mut again = tcp_from("127.0.0.1", port);
    assert_eq!(first_bytes(&mut again), 0, "TCP: a second from one source");
    let mut extra = tcp_from("127.0.0.5", port);
    assert_eq!(first_bytes(&mut extra), 0, "TCP: the fifth is closed");

    // Closed connections give their slots back.
    drop(held);
    let end = Instant::now() + Duration::from_secs(10);
    while !ctl(&sock, "health").0 {
        assert!(Instant::now() < end, "slots not freed:\n{}", rbgpd_log());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(rbgpd_log().contains("API listener full"), "{}", rbgpd_log());
    assert!(
        rbgpd_log().contains("API connections from one source at their limit"),
        "{}",
        rbgpd_log()
    );
}

/// rbgpd with a token listener on 127.0.0.1 and `api` in its
/// configuration (in a directory named after `test`): (rbgpd, the token
/// file, the listener's port).
fn token_listener(test: &str, api: &str) -> (Rbgpd, String, u16) {
    let dir = std::env::temp_dir().join(format!("rbgp-api-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let token = write(&dir, "token", "s3cret-token-for-the-api-test\n");
    let port = free_port();
    let conf = write(
        &dir,
        "rbgpd.toml",
        &format!(
            "[global]\nasn = 65001\nrouter_id = \"192.0.2.1\"\nlisten = []\nstate_dir = \"{}\"\n\
             {api}[[api.listeners]]\naddress = \"127.0.0.1:{port}\"\ntoken_file = \"{token}\"\n",
            dir.join("state").display()
        ),
    );
    (Rbgpd::start(&dir, &conf), token, port)
}

/// A TCP connection to 127.0.0.1:`port` from `src` (another loopback
/// address: another source), with a 5 s read timeout.
fn tcp_from(src: &str, port: u16) -> std::net::TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let c = rt.block_on(async {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        s.bind(format!("{src}:0").parse().unwrap()).unwrap();
        s.connect(([127, 0, 0, 1], port).into()).await.unwrap()
    });
    let c = c.into_std().unwrap();
    c.set_nonblocking(false).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c
}

/// A token listener closes a connection that makes no authorized call
/// within 10 s (one that holds a slot and sends nothing), and keeps one
/// that did: a watch started with the token still gets a route injected
/// after that time.
#[test]
fn a_token_listener_closes_connections_without_an_authorized_call() {
    let (d, token, port) = token_listener("gate", "");
    let (dir, state) = (d.dir.clone(), d.dir.join("state"));
    let sock = format!("unix://{}", state.join("rbgpd.sock").display());
    let http = format!("http://127.0.0.1:{port}");
    let out = std::fs::File::create(dir.join("watch.out")).unwrap();
    let mut watch = Command::new(ctl::rbgpctl())
        .args(["-s", &http, "--token-file", &token, "watch", "--routes"])
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut idle = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut buf = [0u8; 256];
    // The server's SETTINGS, then nothing until it closes.
    while matches!(std::io::Read::read(&mut idle, &mut buf), Ok(n) if n > 0) {}
    let closed = start.elapsed();
    assert!(
        closed >= Duration::from_secs(9) && closed < Duration::from_secs(20),
        "the idle connection closed after {closed:?}"
    );
    std::thread::sleep(Duration::from_secs(12).saturating_sub(start.elapsed()));
    let (ok, o) = ctl(&sock, "rib add 203.0.113.9/32 --nexthop 192.0.2.1");
    assert!(ok, "{o}");
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = std::fs::read_to_string(dir.join("watch.out")).unwrap_or_default();
        if seen.contains("203.0.113.9/32") {
            break;
        }
        assert!(
            Instant::now() < end && watch.try_wait().unwrap().is_none(),
            "the authorized watch did not see the route: {seen:?}\n{}",
            std::fs::read_to_string(d.dir.join("rbgpd.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = watch.kill();
    let _ = watch.wait();
}
