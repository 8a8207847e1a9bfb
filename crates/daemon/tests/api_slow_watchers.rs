//! Hostile API clients: a thousand WatchRoutes streams on one connection
//! (a tonic client) that never read while 20,000 paths are injected. Each
//! stream's buffer fills, and after the server's patience (10 s) each ends
//! with RESOURCE_EXHAUSTED; rbgpd's memory stays bounded, BGP is
//! unaffected (GoBGP gets every path), the API keeps answering. Fifty such
//! streams from Python's grpcio end the same way (grpcio makes a client
//! read every buffered change before it sees the status: too slow for a
//! thousand). Then the 20,000 paths listed through ListRoutes in pages
//! (each read from the RIB as it is sent) equal the whole listing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;
mod ctl;

use common::*;
use std::collections::BTreeMap;

use serde_json::Value;

const STREAMS: usize = 1_000;
/// Python's share (grpcio).
const PY_STREAMS: usize = 50;
const PATHS: usize = 20_000;

#[test]
fn watchers_that_never_read_are_ended_and_cost_bounded_memory() {
    let mut lab = Lab::new("slow");
    testkit::need("grpcio");
    let repo = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let gen = lab.path("gen");
    std::fs::create_dir_all(&gen).unwrap();
    let (ok, out) = sh(&format!(
        "python3 -m grpc_tools.protoc -I {repo}/crates/api/proto --python_out={gen} \
         --grpc_python_out={gen} {repo}/crates/api/proto/rbgp/v1/*.proto"
    ));
    assert!(ok, "generating the Python stubs: {out}");
    let sock = format!("{}/rbgpd.sock", lab.path("state"));
    lab.rbgpd_with_gobgp(
        &with_global(
            "[[neighbors]]\naddress = \"10.88.0.3\"\nremote_asn = 65003\nfamilies = [\"ipv4_unicast\"]\n",
        ),
        65003,
        &["ipv4-unicast"],
    );
    let pid = lab.rbgpd_pid();
    let before = rss_mib(pid);

    // A thousand from Rust, with the paths injected meanwhile.
    let (added, ends, min, max) = idle_watchers(&sock);
    eprintln!("{STREAMS} watchers: {added} added, ends {ends:?}, held {min}-{max}");
    assert_eq!(added, PATHS as u64);
    assert_eq!(
        ends.get("ResourceExhausted"),
        Some(&STREAMS),
        "every idle stream ended with the status: {ends:?}"
    );
    // What each got before the end: its buffer, not the 20,000 changes.
    assert!(max < PATHS, "{max}");

    // Fifty from Python, with 20,000 other paths (10.x.y.0/24 where the
    // Rust client's were 11.x.y.0/24).
    let script = format!("{}/tests/data/slow_watchers.py", env!("CARGO_MANIFEST_DIR"));
    let (ok, out) = sh(&format!(
        "timeout 180 python3 {script} {gen} {sock} {PY_STREAMS} {PATHS} 15"
    ));
    assert!(ok, "{out}");
    let line = out.lines().last().unwrap_or_default();
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {out}"));
    eprintln!("{PY_STREAMS} grpcio watchers: {v}");
    assert_eq!(
        v["ends"]["RESOURCE_EXHAUSTED"], PY_STREAMS,
        "every idle stream ended with the status: {v}"
    );
    assert!(v["max"].as_u64().unwrap() < PATHS as u64, "{v}");

    // BGP unaffected: GoBGP has every path; the API answers.
    lab.wait("GoBGP to have every injected path", 60, || {
        let s = lab.gobgp_cli("global rib summary -a ipv4");
        s.contains(&format!("Destination: {}", 2 * PATHS))
            .then_some(())
    });
    assert!(ctl::ctl(&format!("unix://{sock}"), "health").0);
    let after = rss_mib(pid);
    eprintln!(
        "rbgpd RSS {before} MiB before, {after} MiB after {} idle watchers and {} paths",
        STREAMS + PY_STREAMS,
        2 * PATHS
    );
    assert!(after < before + 200, "RSS {before} -> {after} MiB");

    let script = format!("{}/tests/data/list_pages.py", env!("CARGO_MANIFEST_DIR"));
    let (ok, out) = sh(&format!("timeout 120 python3 {script} {gen} {sock} 3000"));
    assert!(ok, "{out}");
    let v: Value = serde_json::from_str(out.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {out}"));
    eprintln!("ListRoutes in pages of 3,000: {v}");
    assert_eq!(v["whole"], 2 * PATHS, "{v}");
    assert_eq!(v["paged"], 2 * PATHS, "{v}");
    assert_eq!(v["same"], true, "{v}");
    assert_eq!(v["pages"], (2 * PATHS).div_ceil(3000), "{v}");
    assert!(v["largest"].as_u64().unwrap() <= 3000, "{v}");
}

/// [`STREAMS`] WatchRoutes streams on one connection to the Unix socket
/// `sock`, never read while [`PATHS`] paths are added (AddPaths on the same
/// connection; 11.x.y.0/24), then read after 15 s: (paths added, how the streams ended
/// by status code, the fewest and most changes a stream held).
fn idle_watchers(sock: &str) -> (u64, BTreeMap<String, usize>, usize, usize) {
    use rbgp_api::v1::injection_service_client::InjectionServiceClient;
    use rbgp_api::v1::rib_service_client::RibServiceClient;
    use rbgp_api::v1::{AddPathsRequest, Path, WatchRoutesRequest};
    use tonic::transport::{Endpoint, Uri};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let path = sock.to_string();
        // Each stream takes HTTP/2's default 64 KiB unread (hyper's client
        // default, 2 MiB, would hold every change: no stream would be slow);
        // the connection room for all of them (h2 gives window back only
        // as the client reads).
        let ch = Endpoint::try_from("http://localhost")
            .unwrap()
            .initial_stream_window_size(65_535)
            .initial_connection_window_size(1 << 30)
            .connect_with_connector(tower::service_fn(move |_: Uri| {
                let p = path.clone();
                async move {
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(
                        tokio::net::UnixStream::connect(p).await?,
                    ))
                }
            }))
            .await
            .unwrap();
        let mut rib = RibServiceClient::new(ch.clone());
        let mut streams = Vec::new();
        for _ in 0..STREAMS {
            let r = WatchRoutesRequest {
                skip_snapshot: true,
                ..Default::default()
            };
            streams.push(rib.watch_routes(r).await.unwrap().into_inner());
        }
        // As the Python client does: the watches are subscribed by then.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let batches: Vec<AddPathsRequest> = (0..PATHS)
            .collect::<Vec<_>>()
            .chunks(1_000)
            .map(|c| AddPathsRequest {
                paths: c
                    .iter()
                    .map(|i| Path {
                        prefix: format!("11.{}.{}.0/24", (i >> 8) & 255, i & 255),
                        next_hop: "10.88.0.1".into(),
                        ..Default::default()
                    })
                    .collect(),
            })
            .collect();
        let added = InjectionServiceClient::new(ch)
            .add_paths(tokio_stream::iter(batches))
            .await
            .unwrap()
            .into_inner()
            .added;
        tokio::time::sleep(std::time::Duration::from_secs(15)).await;
        let reads = streams.into_iter().map(|mut s| {
            tokio::spawn(async move {
                let mut n = 0;
                let most = std::time::Duration::from_secs(60);
                loop {
                    match tokio::time::timeout(most, s.message()).await {
                        Ok(Ok(Some(_))) => n += 1,
                        Ok(Ok(None)) => return ("Ok".to_string(), n),
                        Ok(Err(e)) => return (format!("{:?}", e.code()), n),
                        Err(_) => return ("not ended within 60 s".to_string(), n),
                    }
                }
            })
        });
        let mut ends = BTreeMap::new();
        let (mut min, mut max) = (usize::MAX, 0);
        for r in reads.collect::<Vec<_>>() {
            let (end, n) = r.await.unwrap();
            *ends.entry(end).or_insert(0) += 1;
            min = min.min(n);
            max = max.max(n);
        }
        (added, ends, min, max)
    })
}
