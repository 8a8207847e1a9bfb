//! Aligned tables; colour only on a terminal (plain when piped, so the
//! output greps and diffs cleanly).

use std::io::IsTerminal as _;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Good,
    Bad,
    Dim,
}

pub struct Cell {
    pub text: String,
    pub tone: Tone,
}

impl<T: Into<String>> From<T> for Cell {
    fn from(t: T) -> Self {
        Cell {
            text: t.into(),
            tone: Tone::Plain,
        }
    }
}

pub fn toned(text: impl Into<String>, tone: Tone) -> Cell {
    Cell {
        text: text.into(),
        tone,
    }
}

pub struct Table {
    head: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(head: &[&'static str]) -> Self {
        Table {
            head: head.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    pub fn render(&self, colour: bool) -> String {
        let cols = self.head.len();
        let mut width: Vec<usize> = self.head.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.text.chars().count());
            }
        }
        let mut out = String::new();
        let line = |cells: &mut dyn Iterator<Item = (String, Tone)>, out: &mut String| {
            let mut parts = Vec::with_capacity(cols);
            for ((text, tone), w) in cells.zip(&width) {
                let pad = w.saturating_sub(text.chars().count());
                let painted = match (colour, tone) {
                    (true, Tone::Good) => format!("\x1b[32m{text}\x1b[0m"),
                    (true, Tone::Bad) => format!("\x1b[31m{text}\x1b[0m"),
                    (true, Tone::Dim) => format!("\x1b[2m{text}\x1b[0m"),
                    _ => text,
                };
                parts.push(format!("{painted}{}", " ".repeat(pad)));
            }
            out.push_str(parts.join("  ").trim_end());
            out.push('\n');
        };
        let tone = if colour { Tone::Dim } else { Tone::Plain };
        line(
            &mut self.head.iter().map(|h| (h.to_string(), tone)),
            &mut out,
        );
        for r in &self.rows {
            line(&mut r.iter().map(|c| (c.text.clone(), c.tone)), &mut out);
        }
        out
    }

    pub fn print(&self) {
        let text = self.render(std::io::stdout().is_terminal());
        outln!("{}", text.trim_end_matches('\n'));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn aligned_and_plain_when_not_coloured() {
        let mut t = Table::new(&["Address", "AS", "State"]);
        t.row(vec![
            "192.0.2.2".into(),
            "65001".into(),
            toned("Established", Tone::Good),
        ]);
        t.row(vec![
            "2001:db8::2".into(),
            "1".into(),
            toned("Active", Tone::Bad),
        ]);
        let s = t.render(false);
        assert_eq!(
            s,
            "Address      AS     State\n192.0.2.2    65001  Established\n2001:db8::2  1      Active\n"
        );
        assert!(t.render(true).contains("\x1b[32mEstablished\x1b[0m"));
    }
}
