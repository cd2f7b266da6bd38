//! The fast YAML path must parse every text it takes exactly as saphyr does (tree, scalar styles,
//! lines, duplicate keys), and must take nearly all of a real render (it is there for speed).
//! Checked on the real charts' renders, the objects embedded in their ConfigMaps, the project's
//! fixtures, and many thousands of mutations of all of those, which probe the subset's edges.

mod common;

use helm_harden::parse::split_stream;
use helm_harden::parse::yaml::{in_block_subset, parse_all, parse_all_general, Node, Value};
use std::path::Path;

/// Every text the parser meets in `render`: its documents (with their first lines) and the
/// literal blocks they hold (ConfigMap data, which is parsed again as embedded YAML).
fn texts_of(render: &str) -> Vec<(String, usize)> {
    let mut texts = Vec::new();
    for raw in split_stream(render) {
        texts.push((raw.text.to_string(), raw.line));
        if let Ok(docs) = parse_all_general(raw.text, raw.line) {
            for doc in docs {
                doc.root.walk(&mut |n: &Node| {
                    if let Value::Str(s) = &n.value {
                        if s.contains('\n') {
                            texts.push((s.to_string(), n.line() + 1));
                        }
                    }
                });
            }
        }
    }
    texts
}

/// Same outcome as saphyr: equal documents, or (when the fast path gives up) whatever saphyr says.
fn assert_same(text: &str, first_line: usize) {
    let fast = parse_all(text, first_line);
    let general = parse_all_general(text, first_line);
    match (&fast, &general) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.len(), b.len(), "document count differs for:\n{text}");
            for (x, y) in a.iter().zip(b) {
                assert_eq!(x.root, y.root, "trees differ for:\n{text}");
                assert_eq!(x.duplicates, y.duplicates, "duplicate keys differ for:\n{text}");
            }
        }
        (Err(a), Err(b)) => assert_eq!(a, b, "errors differ for:\n{text}"),
        _ => panic!("fast path {:?} but saphyr {:?} for:\n{text}", fast.is_ok(), general.is_ok()),
    }
}

fn real_texts() -> Vec<(String, usize)> {
    let mut texts = Vec::new();
    let values = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/values");
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = common::real_chart(version) else { continue };
        let hardened = if version == "1.13.39" { "hardened-1.13.yaml" } else { "hardened.yaml" };
        for file in [None, Some("weak.yaml"), Some(hardened)] {
            let path = file.map(|f| values.join(f).display().to_string());
            let args: Vec<&str> = path.iter().flat_map(|p| ["-f", p.as_str()]).collect();
            texts.extend(texts_of(&common::helm_template(&chart, &args)));
        }
    }
    texts
}

fn fixture_texts() -> Vec<(String, usize)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut texts = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let text = std::fs::read_to_string(&path).unwrap();
                texts.push((text.clone(), 1));
                texts.extend(texts_of(&text));
            }
        }
    }
    texts
}

#[test]
fn real_renders_parse_as_saphyr_parses_them_and_mostly_on_the_fast_path() {
    let texts = real_texts();
    if texts.is_empty() {
        common::skip("../shared/charts is absent");
        return;
    }
    let (mut taken, mut total) = (0usize, 0usize);
    for (text, line) in &texts {
        assert_same(text, *line);
        // Coverage counts what the tool parses as objects (not the shell scripts in Jobs).
        let objects =
            parse_all_general(text, 1).is_ok_and(|docs| docs.iter().all(|d| d.root.is_map()));
        if !objects {
            continue;
        }
        total += text.len();
        if in_block_subset(text) {
            taken += text.len();
        }
    }
    let share = taken as f64 / total as f64;
    eprintln!("fast path took {:.1}% of {total} bytes in {} texts", share * 100.0, texts.len());
    assert!(
        share > 0.99,
        "the fast path took only {:.1}% of the real renders' bytes",
        share * 100.0
    );
}

/// The CRDs of the real charts: read whole for the schema checks, on the fast path, with the
/// same trees as saphyr's (a validation rule's continuation line starts with `&&`).
#[test]
fn real_crds_parse_as_saphyr_parses_them_on_the_fast_path() {
    let mut files = 0;
    for version in ["1.13.39", "1.17.38", "1.22.1"] {
        let Some(chart) = common::real_chart(version) else { continue };
        let Ok(entries) = std::fs::read_dir(chart.join("crds")) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "yaml") {
                continue; // 1.22.1's crds/README.md
            }
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(in_block_subset(&text), "{} is off the fast path", path.display());
            assert_same(&text, 1);
            files += 1;
        }
    }
    assert!(files > 40, "the real charts' CRDs were not found ({files} files)");
}

#[test]
fn fixtures_parse_as_saphyr_parses_them() {
    for (text, line) in fixture_texts() {
        assert_same(&text, line);
    }
}

/// A small deterministic generator (xorshift): the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Characters and strings that sit on the subset's edges.
const PIECES: &[&str] = &[
    ":",
    ": ",
    " #",
    "#",
    "-",
    "- ",
    "'",
    "\"",
    "''",
    "\\",
    "\\n",
    "\\x41",
    "|",
    "|-",
    "|+",
    "|2",
    ">",
    "&a ",
    "*a",
    "!!str ",
    "{",
    "}",
    "[",
    "]",
    "{}",
    "[]",
    ",",
    "?",
    "? ",
    "%",
    "@",
    "`",
    "\t",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\n  ",
    "---",
    "...",
    "~",
    "\r",
    "é",
    "\u{feff}",
    "\u{2028}",
    "yes",
    "0x1F",
    "1e3",
    "key: value",
    "k:",
    "- a",
    "  - b",
    "\"a\\\"b\"",
    "'it''s'",
    "&& x",
    "  && has(self.a))",
];

fn mutate(text: &str, rng: &mut Rng) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out: Vec<String> = lines.iter().map(std::string::ToString::to_string).collect();
    for _ in 0..=rng.below(3) {
        if out.is_empty() {
            break;
        }
        let i = rng.below(out.len());
        let line = out[i].clone();
        let at = {
            let mut at = rng.below(line.len() + 1);
            while !line.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        match rng.below(8) {
            0 => {
                out[i] =
                    format!("{}{}{}", &line[..at], PIECES[rng.below(PIECES.len())], &line[at..]);
            }
            1 => {
                let mut end = (at + 1 + rng.below(4)).min(line.len());
                while !line.is_char_boundary(end) {
                    end += 1;
                }
                out[i] = format!("{}{}", &line[..at], &line[end..]);
            }
            2 => out[i] = format!(" {line}"),
            3 => out[i] = line.strip_prefix("  ").unwrap_or(&line).to_string(),
            4 => {
                out.remove(i);
            }
            5 => out.insert(i, line),
            6 => {
                let j = rng.below(out.len());
                out.swap(i, j);
            }
            _ => out[i] = line.trim_end_matches('\n').to_string(),
        }
    }
    out.concat()
}

#[test]
fn mutations_parse_as_saphyr_parses_them() {
    let mut texts = fixture_texts();
    texts.extend(real_texts().into_iter().step_by(7));
    // Small texts mutate into more distinct shapes per byte; large ones are cut to their start.
    let texts: Vec<String> = texts
        .into_iter()
        .map(|(t, _)| {
            let mut end = t.len().min(3000);
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            t[..end].to_string()
        })
        .collect();
    // `HH_MUTATION_ROUNDS=1000000` for a longer search (about 25 s per 1,000,000 in a release
    // build), `HH_MUTATION_SEED=<number>` for other mutations than CI's.
    let env_number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let mut rng =
        Rng(env_number("HH_MUTATION_SEED").filter(|&s| s != 0).unwrap_or(0x5eed_cafe_f00d_d00d));
    let mut taken = 0;
    let rounds = env_number("HH_MUTATION_ROUNDS").map_or(40_000, |r| r as usize);
    for _ in 0..rounds {
        let text = &texts[rng.below(texts.len())];
        let mutant = mutate(text, &mut rng);
        if in_block_subset(&mutant) {
            taken += 1;
        }
        assert_same(&mutant, 1 + rng.below(3));
    }
    eprintln!("fast path took {taken} of {rounds} mutants");
    // The mutations must reach both sides of the subset's edge, or they test nothing.
    assert!(
        taken > rounds / 10 && taken < rounds * 9 / 10,
        "fast path took {taken} of {rounds} mutants"
    );
}
