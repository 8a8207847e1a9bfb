//! AS-path regular expressions in the style operators know from Cisco and
//! GoBGP, matched against the path's text (`65001 6939 {3,4}`): `_`
//! matches a boundary (start, end, a space, or the brackets and commas
//! of sets and confederation segments); everything else is the `regex`
//! crate's syntax with ASCII classes. The texts are ASCII, so they are
//! matched as bytes: `.` and `[^...]` then compile without the Unicode
//! tables the crate is built without.

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// What `_` stands for.
const BOUNDARY: &str = r"(?:^|$|[ ,{}()\[\]])";

/// Rewrite `_` (outside character classes and escapes) as a boundary.
pub fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    // Nesting of `[` inside a class (`[[:digit:]_]`, `[a[b]]`).
    let mut depth = 0u32;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '[' => {
                depth += 1;
                out.push(c);
                // A `]` (after an optional `^`) right at the start of a
                // class is a literal, not its end.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if depth > 0 => {
                depth -= 1;
                out.push(c);
            }
            '_' if depth == 0 => out.push_str(BOUNDARY),
            c => out.push(c),
        }
    }
    out
}

/// Compile one expression (for error messages and the reference).
pub fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(&translate(pattern))
        .unicode(false)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| e.to_string())
}

/// A set of expressions: the path matches if any does.
#[derive(Debug, Clone)]
pub struct AsPathSet {
    set: RegexSet,
}

impl AsPathSet {
    pub fn new(patterns: &[String]) -> Result<AsPathSet, String> {
        for p in patterns {
            compile(p).map_err(|e| format!("{p:?}: {e}"))?;
        }
        let set = RegexSetBuilder::new(patterns.iter().map(|p| translate(p)))
            .unicode(false)
            .size_limit(1 << 22)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(AsPathSet { set })
    }

    pub fn matches(&self, path_text: &str) -> bool {
        self.set.is_match(path_text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(p: &[&str]) -> AsPathSet {
        AsPathSet::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn cisco_style_boundaries() {
        let first = set(&["^65001_"]);
        assert!(first.matches("65001 3 4"));
        assert!(first.matches("65001"));
        assert!(!first.matches("650011 3"));
        assert!(!first.matches("3 65001"));
        let transit = set(&["_6939_"]);
        assert!(transit.matches("65001 6939 3"));
        assert!(transit.matches("6939"));
        assert!(transit.matches("65001 {6939,7}"));
        assert!(!transit.matches("65001 16939 3"));
        assert!(!transit.matches("69390"));
        let origin = set(&["_[0-9]+$"]);
        assert!(origin.matches("1 2 3"));
        assert!(!origin.matches("1 2 {3,4}"));
        // `_` inside a class is literal, however the class is written.
        assert_eq!(translate("[_]"), "[_]");
        assert_eq!(translate(r"\_"), r"\_");
        assert_eq!(translate("[]_]"), "[]_]");
        assert_eq!(translate("[^]_]"), "[^]_]");
        assert_eq!(translate("[[:digit:]_]+"), "[[:digit:]_]+");
        // Any character and negated classes (bytes: no Unicode tables).
        let any = set(&["^65001 .* 3$", "_[^ ]+$"]);
        assert!(any.matches("65001 7 8 3"));
        assert!(set(&["^65001 [^ ]+ 3$"]).matches("65001 7 3"));
        assert!(set(&[r"^\d+ \D"]).matches("65001 {3}"));
        // Empty path: `^$`.
        assert!(set(&["^$"]).matches(""));
    }

    #[test]
    fn bad_expressions_are_refused() {
        assert!(AsPathSet::new(&["(".to_string()]).is_err());
        assert!(AsPathSet::new(&["[0-9".to_string()]).is_err());
    }
}
