//! ExaBGP (from PyPI) in a lab namespace.

use std::process::Child;

use crate::lab::Lab;

impl Lab {
    /// ExaBGP in namespace `ns` with configuration `conf` (written to
    /// exabgp.conf), its output to exabgp.out; it keeps root (the
    /// namespace is its only confinement) and makes no CLI pipes.
    pub fn exabgp_in(&mut self, ns: &str, conf: &str) -> &mut Child {
        let conf = self.write("exabgp.conf", conf);
        self.spawn(
            ns,
            &[
                "env",
                "exabgp_daemon_drop=false",
                "exabgp_api_cli=false",
                "python3",
                "-m",
                "exabgp",
                &conf,
            ],
            "exabgp.out",
        )
    }
}
