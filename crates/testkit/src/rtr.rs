//! RPKI caches for the tests: StayRTR (RTR v0/v1/v2 from a JSON file) in a
//! lab namespace, and the shared real VRP snapshot unpacked for it.

use std::process::Child;

use crate::lab::Lab;
use crate::process::sh;

/// The shared real VRP/ASPA snapshot (rpki-client JSON, every second
/// entry of a 2025 global set: 361,761 VRPs, 50 ASPAs). Test data only
/// (ARIN's relying-party terms: never for real routing).
pub const VRP_SNAPSHOT: &str =
    "rpki/jeffsw-rpkilog/derived/rpkiclient_summary_20250720T093135Z.every2nd.json.gz";

impl Lab {
    /// The snapshot unpacked into the lab directory as `name`; its path.
    /// The entries' `expires` times (July 2025) are dropped: StayRTR
    /// serves no expired entry, and the test needs the data, not its age.
    pub fn vrp_snapshot(&self, name: &str) -> String {
        let src = crate::data(VRP_SNAPSHOT);
        let dst = self.path(name);
        let script = "import gzip, json, sys\n\
             d = json.load(gzip.open(sys.argv[1]))\n\
             for k in ('roas', 'aspas'):\n    \
                 for e in d.get(k, []): e.pop('expires', None)\n\
             json.dump(d, open(sys.argv[2], 'w'))\n";
        let py = self.write("unpack_vrps.py", script);
        let (ok, out) = sh(&format!("python3 {py} {} {dst}", src.display()));
        assert!(ok, "unpacking {}: {out}", src.display());
        dst
    }

    /// StayRTR in namespace `ns` serving `json` on `bind` (address:port),
    /// with short refresh and retry intervals; its log is `log`. The file's
    /// build time is not checked (a static snapshot is old).
    pub fn stayrtr_in(&mut self, ns: &str, json: &str, bind: &str, log: &str) -> &mut Child {
        let metrics = format!(
            "{}:{}",
            bind.rsplit_once(':').map_or(bind, |(a, _)| a),
            9847
        );
        self.spawn(
            ns,
            &[
                "stayrtr",
                "-cache",
                json,
                "-checktime=false",
                "-bind",
                bind,
                "-metrics.addr",
                &metrics,
                "-refresh",
                "2",
                "-rtr.refresh",
                "30",
                "-rtr.retry",
                "5",
                "-rtr.expire",
                "600",
            ],
            log,
        )
    }
}
