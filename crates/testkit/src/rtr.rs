//! RPKI caches for the tests, in a lab namespace: StayRTR and RTRTR (RTR
//! caches serving a JSON file), a scripted fake cache that answers with
//! given bytes and records what it is sent; and the shared real VRP
//! snapshot unpacked for them.

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
    /// build time is not checked (a static snapshot is old). Returns once
    /// it listens.
    pub fn stayrtr_in(&mut self, ns: &str, json: &str, bind: &str, log: &str) -> &mut Child {
        self.stayrtr_in_with(ns, json, bind, log, &[])
    }

    /// [`Lab::stayrtr_in`] with more options (e.g. `-protocol 1` to speak
    /// RTR version 1 at most). It re-reads the file every 2 s; its RTR
    /// Retry Interval is 2 s, Refresh 30 s, Expire 600 s; its metrics
    /// listen on port 9847 of `bind`'s address (one StayRTR per address).
    pub fn stayrtr_in_with(
        &mut self,
        ns: &str,
        json: &str,
        bind: &str,
        log: &str,
        extra: &[&str],
    ) -> &mut Child {
        let metrics = format!(
            "{}:{}",
            bind.rsplit_once(':').map_or(bind, |(a, _)| a),
            9847
        );
        let mut args = vec![
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
            "2",
            "-rtr.expire",
            "600",
        ];
        args.extend_from_slice(extra);
        self.spawn(ns, &args, log);
        self.listening(ns, bind)
    }

    /// RTRTR (NLnet Labs) in namespace `ns`: a `json` unit reading the
    /// local file `json` (looked at every second, re-read when its
    /// modification time changes) and an `rtr` target serving it on `bind`
    /// with a Retry Interval of 2 s; configuration NAME.conf, log NAME.log.
    /// Its HTTP server stays on the namespace's loopback.
    pub fn rtrtr_in(&mut self, ns: &str, name: &str, json: &str, bind: &str) -> &mut Child {
        let conf = format!(
            "log_level = \"debug\"\n\
             log_target = \"stderr\"\n\
             http-listen = [\"127.0.0.1:8323\"]\n\
             [units.file]\ntype = \"json\"\nuri = \"file:{json}\"\nrefresh = 1\n\
             [targets.rtr]\ntype = \"rtr\"\nlisten = [\"{bind}\"]\nunit = \"file\"\n\
             refresh = 30\nretry = 2\nexpire = 600\n"
        );
        let conf = self.write(&format!("{name}.conf"), &conf);
        self.spawn(ns, &["rtrtr", "-c", &conf], &format!("{name}.log"));
        self.listening(ns, bind)
    }

    /// Wait until the cache just started (the last child) listens on
    /// `bind`: a router started before it would be refused and wait its
    /// first retry (rbgpd 10 s, BIRD its `retry`). StayRTR loads its whole
    /// file before it listens (a few seconds for the real snapshot).
    fn listening(&mut self, ns: &str, bind: &str) -> &mut Child {
        self.wait(&format!("an RTR cache listening on {bind}"), 60, || {
            // The Local Address:Port column, exactly.
            self.run_in(ns, "ss -Hltn")
                .lines()
                .any(|l| l.split_whitespace().nth(3) == Some(bind))
                .then_some(())
        });
        self.children.last_mut().unwrap()
    }

    /// A scripted RTR cache in namespace `ns` on `bind`: it accepts one
    /// connection at a time, waits for a query, answers it with `reply`
    /// and keeps the connection open until the router closes it. Every
    /// byte it receives is appended, per connection, as one line of hex
    /// to the lab file `recv` (`wait` on it); its log is NAME.log.
    pub fn rtr_script_in(
        &mut self,
        ns: &str,
        name: &str,
        bind: &str,
        reply: &[u8],
        recv: &str,
    ) -> &mut Child {
        let (addr, port) = bind.rsplit_once(':').expect("address:port");
        let hex: String = reply.iter().map(|b| format!("{b:02x}")).collect();
        let script = "import socket, sys\n\
             addr, port, reply, out = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3]), sys.argv[4]\n\
             s = socket.socket(socket.AF_INET6 if ':' in addr else socket.AF_INET)\n\
             s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
             s.bind((addr, port))\n\
             s.listen(4)\n\
             print('listening', flush=True)\n\
             while True:\n    \
                 c, peer = s.accept()\n    \
                 print('connection from', peer, flush=True)\n    \
                 got = b''\n    \
                 answered = False\n    \
                 while True:\n        \
                     d = c.recv(65536)\n        \
                     if not d:\n            \
                         break\n        \
                     got += d\n        \
                     if not answered and len(got) >= 8:\n            \
                         c.sendall(reply)\n            \
                         answered = True\n            \
                         print('answered', flush=True)\n    \
                 c.close()\n    \
                 print('closed after', len(got), 'bytes', flush=True)\n    \
                 with open(out, 'a') as f:\n        \
                     f.write(got.hex() + '\\n')\n";
        let py = self.write(&format!("{name}.py"), script);
        let out = self.path(recv);
        self.spawn(
            ns,
            &["python3", "-u", &py, addr, port, &hex, &out],
            &format!("{name}.log"),
        )
    }
}
