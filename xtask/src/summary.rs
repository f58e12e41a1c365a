//! Counting results across every runner `cargo xtask test` starts.

use std::fmt;

/// Passed and failed counts; ignored tests count as neither.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
}

impl Tally {
    pub const PASS: Tally = Tally {
        passed: 1,
        failed: 0,
    };
    pub const FAIL: Tally = Tally {
        passed: 0,
        failed: 1,
    };

    pub fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// Counts from libtest's closing line, which cargo test and wasm-bindgen-test-runner both print:
/// `test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s`.
pub fn parse_libtest(line: &str) -> Option<Tally> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let (_verdict, counts) = rest.split_once(". ")?;
    Some(Tally {
        passed: count_before(counts, "passed", ';')?,
        failed: count_before(counts, "failed", ';')?,
    })
}

/// Counts from the plain line our e2e script prints: `e2e: 4 passed, 0 failed`.
pub fn parse_plain(line: &str, label: &str) -> Option<Tally> {
    let rest = line.trim().strip_prefix(label)?.strip_prefix(':')?;
    Some(Tally {
        passed: count_before(rest, "passed", ',')?,
        failed: count_before(rest, "failed", ',')?,
    })
}

/// In `"3 passed; 0 failed"`, the number written before `word`.
fn count_before(list: &str, word: &str, sep: char) -> Option<u64> {
    list.split(sep).find_map(|part| {
        let (n, w) = part.trim().split_once(' ')?;
        if w.trim() == word {
            n.parse().ok()
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_lines() {
        let cases: &[(&str, Option<(u64, u64)>)] = &[
            (
                "test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s",
                Some((3, 0)),
            ),
            (
                "test result: FAILED. 10 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.20s",
                Some((10, 2)),
            ),
            ("   test result: ok. 0 passed; 0 failed; 0 ignored", Some((0, 0))),
            ("test result: ok. lots passed; 0 failed", None),
            ("running 3 tests", None),
            ("test foo ... ok", None),
        ];
        for (line, want) in cases {
            let got = parse_libtest(line).map(|t| (t.passed, t.failed));
            assert_eq!(got, *want, "{line}");
        }
    }

    #[test]
    fn plain_lines_need_their_label() {
        assert_eq!(
            parse_plain("e2e: 4 passed, 1 failed", "e2e"),
            Some(Tally {
                passed: 4,
                failed: 1
            })
        );
        assert_eq!(parse_plain("e2e: 4 passed", "e2e"), None);
        assert_eq!(parse_plain("4 passed, 1 failed", "e2e"), None);
        assert_eq!(parse_plain("other: 4 passed, 1 failed", "e2e"), None);
    }

    #[test]
    fn tallies_add_and_print_as_the_closing_line() {
        let mut total = Tally::default();
        total.add(Tally {
            passed: 5,
            failed: 0,
        });
        total.add(Tally::FAIL);
        total.add(Tally::PASS);
        assert_eq!(total.to_string(), "6 passed, 1 failed");
    }
}
