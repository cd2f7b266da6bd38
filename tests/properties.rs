//! Property tests (issue 7) of the stream splitter, the parser of objects embedded in ConfigMaps
//! and the values-line locator: no panic on any input, and every line the locator names holds the
//! key it names.
//!
//! Bounded for CI: 256 cases per property by default (`PROPTEST_CASES` overrides), each property
//! well under a few seconds. A failing case is shrunk and saved under `proptest-regressions/`,
//! which is committed so that it is replayed first on every later run.

use helm_harden::parse::values::{deepest_parent_line, exact_line, locate, Location, ValuesFile};
use helm_harden::parse::yaml::Node;
use helm_harden::parse::{parse_stream, split_stream};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::path::Path;

// ---- the stream splitter and the parser, on arbitrary and on YAML-shaped input ------------------

/// Text made of pieces a render is made of, broken and whole, so that most cases get past the
/// first line of the parser.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("---\n".to_string()),
        Just("---apiVersion: v1\n".to_string()),
        Just("----\n".to_string()),
        Just("# Source: gloo/templates/x.yaml\n".to_string()),
        Just("apiVersion: v1\n".to_string()),
        Just("kind: ConfigMap\n".to_string()),
        Just("metadata: {name: gateway-proxy-envoy-config, labels: {gloo: custom-resources}}\n".to_string()),
        Just("data:\n".to_string()),
        Just("  envoy.yaml: |\n    admin: {address: 1}\n    layered_runtime: [\n".to_string()),
        Just("  custom-resources: |\n    ---\n    apiVersion: gateway.solo.io/v1\n    kind: Gateway\n    metadata: {name: gw}\n".to_string()),
        Just("  a: &x [1, 2]\n  b: *x\n  c: *nope\n".to_string()),
        Just("  key: \"unterminated\n".to_string()),
        Just("\r\n".to_string()),
        Just("\t- tab\n".to_string()),
        Just("\u{feff}".to_string()),
        "[ -~]{0,12}\n",
        "\\PC{0,8}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), yamlish()]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_splitter_cuts_the_stream_into_pieces_that_know_their_lines(stream in any_text()) {
        let raws = split_stream(&stream);
        let base = stream.as_ptr() as usize;
        let mut last_end = 0;
        for raw in &raws {
            let start = raw.text.as_ptr() as usize - base;
            prop_assert!(start >= last_end, "documents are in order and do not overlap");
            prop_assert!(start + raw.text.len() <= stream.len());
            prop_assert_eq!(&stream[start..start + raw.text.len()], raw.text);
            prop_assert_eq!(raw.line, 1 + stream[..start].matches('\n').count(), "the line of the piece's first line");
            last_end = start + raw.text.len();
        }
    }

    #[test]
    fn the_parser_never_panics_and_errors_point_inside_the_stream(stream in any_text()) {
        let lines = stream.split('\n').count();
        match parse_stream(&stream) {
            Ok(docs) => {
                for d in docs {
                    prop_assert!(d.line >= 1 && d.line <= lines, "document line {} of {lines}", d.line);
                }
            }
            Err(e) => {
                prop_assert!(e.line >= 1 && e.line <= lines + 1, "error line {} of {lines}: {}", e.line, e.message);
                prop_assert!(e.col >= 1);
            }
        }
    }
}

// ---- generated values trees, rendered in every style the locator must read ----------------------

const KEYS: [&str; 6] = ["gloo", "gateway", "a", "b", "probes", "x-y"];

#[derive(Debug, Clone)]
enum V {
    Scalar(&'static str),
    /// Entries; written in flow style (`{k: v}`) when `flow`; anchored (`&aN`) when `anchor`.
    Map {
        entries: Vec<(&'static str, V)>,
        flow: bool,
        anchor: bool,
        comment: bool,
    },
    Seq(Vec<V>),
    /// An alias to the n-th anchor defined so far (a scalar when there is none).
    Alias(usize),
}

fn value() -> impl Strategy<Value = V> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            "1",
            "true",
            "x",
            "\"quoted: text\"",
            "'single'",
            "null",
            "",
            "10s",
            "[]",
            "{}"
        ])
        .prop_map(V::Scalar),
        (0usize..4).prop_map(V::Alias),
    ];
    leaf.prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            3 => (prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner.clone()), 0..5), any::<bool>(), prop::bool::weighted(0.2), any::<bool>())
                .prop_map(|(entries, flow, anchor, comment)| V::Map { entries, flow, anchor, comment }),
            1 => prop::collection::vec(inner, 0..3).prop_map(V::Seq),
        ]
    })
}

fn root_value() -> impl Strategy<Value = Vec<(&'static str, V)>> {
    prop::collection::vec((prop::sample::select(KEYS.to_vec()), value()), 0..6)
}

struct Writer {
    out: String,
    /// Anchors named so far.
    named: usize,
    /// Anchors whose node is complete: only those may be aliased (an alias inside its own anchor
    /// is a cycle, not YAML).
    complete: Vec<usize>,
}

impl Writer {
    fn flow(&mut self, v: &V) -> String {
        match v {
            V::Scalar(s) => {
                if s.is_empty() {
                    "null".into()
                } else {
                    s.to_string()
                }
            }
            V::Alias(n) => self.alias(*n),
            V::Seq(items) => {
                format!("[{}]", items.iter().map(|i| self.flow(i)).collect::<Vec<_>>().join(", "))
            }
            V::Map { entries, anchor, .. } => {
                let id = anchor.then(|| self.new_anchor());
                let body = entries
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", self.flow(v)))
                    .collect::<Vec<_>>()
                    .join(", ");
                match id {
                    Some(id) => {
                        self.complete.push(id);
                        format!("&a{id} {{{body}}}")
                    }
                    None => format!("{{{body}}}"),
                }
            }
        }
    }

    fn alias(&self, n: usize) -> String {
        if self.complete.is_empty() {
            "aliased".into()
        } else {
            format!("*a{}", self.complete[n % self.complete.len()])
        }
    }

    fn new_anchor(&mut self) -> usize {
        self.named += 1;
        self.named - 1
    }

    /// Block mapping entries at `indent`.
    fn block(&mut self, entries: &[(&'static str, V)], indent: usize, comment: bool) {
        let pad = " ".repeat(indent);
        if comment {
            self.out.push_str(&format!("{pad}# a comment, no colon here\n\n"));
        }
        for (k, v) in entries {
            match v {
                V::Map { entries: inner, flow: false, anchor, comment } if !inner.is_empty() => {
                    let id = anchor.then(|| self.new_anchor());
                    let anchor = id.map(|id| format!(" &a{id}")).unwrap_or_default();
                    self.out.push_str(&format!("{pad}{k}:{anchor}\n"));
                    self.block(inner, indent + 2, *comment);
                    self.complete.extend(id);
                }
                V::Seq(items) if !items.is_empty() => {
                    self.out.push_str(&format!("{pad}{k}:\n"));
                    for item in items {
                        let text = self.flow(item);
                        self.out.push_str(&format!("{pad}- {text}\n"));
                    }
                }
                V::Scalar("") => self.out.push_str(&format!("{pad}{k}:\n")),
                other => {
                    let text = self.flow(other);
                    self.out.push_str(&format!("{pad}{k}: {text}  # trailing comment\n"));
                }
            }
        }
    }
}

fn render_values(entries: &[(&'static str, V)]) -> String {
    let mut w = Writer { out: "# values\n".into(), named: 0, complete: Vec::new() };
    w.block(entries, 0, false);
    w.out
}

fn line_of(text: &str, line: usize) -> &str {
    text.lines().nth(line - 1).unwrap_or_else(|| panic!("line {line} is past the end of the text"))
}

/// The index of the deepest segment of `path` that `root` has, walking as helm merges.
fn deepest_present(root: &Node, path: &[&str]) -> Option<usize> {
    let mut node = root;
    let mut found = None;
    for (i, seg) in path.iter().enumerate() {
        match node.entry(seg) {
            Some(e) => {
                found = Some(i);
                node = &e.value;
            }
            None => break,
        }
    }
    found
}

fn key_path() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(prop::sample::select(KEYS.to_vec()), 1..5)
}

/// 256 cases unless `PROPTEST_CASES` says otherwise; failures saved where they are committed.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/properties.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_located_line_holds_the_key_it_names(entries in root_value(), path in key_path()) {
        let text = render_values(&entries);
        let file = ValuesFile::parse(Path::new("values.yaml"), text.clone());
        prop_assert!(file.is_ok(), "generated values parse: {:?}\n{text}", file.err());
        let file = file.unwrap();
        let last = path[path.len() - 1];
        if let Some(line) = exact_line(&file.root, &path) {
            let held = line_of(&text, line);
            prop_assert!(held.contains(&format!("{last}:")), "line {line} `{held}` holds `{last}:`\n{text}");
        }
        match (deepest_parent_line(&file.root, &path), deepest_present(&file.root, &path)) {
            (Some(line), Some(i)) => {
                let held = line_of(&text, line);
                prop_assert!(held.contains(&format!("{}:", path[i])), "parent line {line} `{held}` holds `{}:`\n{text}", path[i]);
            }
            (None, None) => {}
            (got, want) => prop_assert!(false, "deepest parent {got:?} but deepest present segment {want:?}"),
        }
        // locate() agrees with the two: exact when the file sets the key, else the parent's line.
        match locate(&path, std::slice::from_ref(&file), &[]) {
            Location::File { line, exact: true, .. } => prop_assert_eq!(line, exact_line(&file.root, &path)),
            Location::File { line, exact: false, .. } => {
                prop_assert!(exact_line(&file.root, &path).is_none());
                prop_assert_eq!(line, deepest_parent_line(&file.root, &path));
            }
            other => prop_assert!(false, "a file was given: {other:?}"),
        }
    }

    #[test]
    fn embedded_objects_point_at_lines_that_hold_their_keys(entries in root_value(), indent in 4usize..8) {
        // The generated values, embedded as an Envoy bootstrap and as a Gateway in ConfigMaps
        // (indented deeper than the data keys, as a literal block must be).
        let body = render_values(&entries);
        let pad = " ".repeat(indent);
        let embed = |text: &str| text.lines().map(|l| if l.is_empty() { String::new() } else { format!("{pad}{l}") }).collect::<Vec<_>>().join("\n");
        let stream = format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gateway-proxy-envoy-config\ndata:\n  envoy.yaml: |\n{}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gloo-custom-resource-config\n  labels: {{gloo: custom-resources}}\ndata:\n  custom-resources: |\n{}\n",
            embed(&body),
            embed(&format!("apiVersion: gateway.solo.io/v1\nkind: Gateway\nmetadata: {{name: gw}}\nspec:\n{}", body.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")))
        );
        let docs = parse_stream(&stream);
        prop_assert!(docs.is_ok(), "{:?}\n{stream}", docs.err());
        let docs = docs.unwrap();
        let embedded: Vec<_> = docs.iter().filter(|d| d.embedded_in.is_some()).collect();
        prop_assert_eq!(embedded.len(), if entries.is_empty() { 1 } else { 2 }, "the bootstrap (when not empty) and the Gateway\n{}", stream);
        for doc in embedded {
            let mut stack = vec![&doc.root];
            while let Some(node) = stack.pop() {
                for e in node.entries() {
                    let held = line_of(&stream, e.line());
                    prop_assert!(held.contains(&format!("{}:", e.key)), "line {} `{held}` holds `{}:`\n{stream}", e.line(), e.key);
                    stack.push(&e.value);
                }
                stack.extend(node.items());
            }
        }
    }
}

// ---- the rules, on renders whose values have the wrong shape ----------------------------------

const RENDER: &str = include_str!("../fixtures/manifests/gloo-mini-default.yaml");

/// Values of every YAML type, to put where the rules expect another.
const ODD_VALUES: [&str; 12] = [
    "[]",
    "{}",
    "null",
    "\"text\"",
    "-1",
    "1e400",
    "true",
    "[1, {a: b}]",
    "{a: [1, 2]}",
    "0x7fffffffffffffff",
    "\"\"",
    "|\n      block",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_rules_never_panic_on_values_of_the_wrong_type(edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(ODD_VALUES.to_vec())), 1..12)) {
        // Replace the values of random `key: value` lines of the example render.
        let mut lines: Vec<String> = RENDER.lines().map(str::to_string).collect();
        let candidates: Vec<usize> = lines.iter().enumerate().filter(|(_, l)| l.trim_start().split_once(": ").is_some_and(|(k, _)| !k.starts_with('#') && !k.starts_with('-'))).map(|(i, _)| i).collect();
        for (at, odd) in edits {
            let i = candidates[at.index(candidates.len())];
            let (key, _) = lines[i].split_once(": ").expect("a key: value line");
            lines[i] = format!("{key}: {odd}");
        }
        let stream = lines.join("\n") + "\n";
        let Ok(docs) = parse_stream(&stream) else { return Ok(()) };
        let chart = helm_harden::parse::chart::ChartInfo::from_render(None, &docs);
        let values = helm_harden::check::ValuesContext { prefix: String::new(), proxy_keys: vec!["gatewayProxy".into()], files: vec![], sets: vec![], ..Default::default() };
        let report = helm_harden::check::check(&docs, chart, &values, &helm_harden::config::Config::default(), "2026-01-01");
        // And every output format renders it.
        let _ = helm_harden::report::text::render(std::slice::from_ref(&report), true, helm_harden::report::text::Style::default());
        let _ = helm_harden::report::json::render(std::slice::from_ref(&report), true);
        let _ = helm_harden::report::junit::render(std::slice::from_ref(&report));
        // And the diff against the intact render.
        let intact = parse_stream(RENDER).expect("the example render parses");
        let diffs = helm_harden::harden::diff::diff_renders(&intact, &docs, &helm_harden::harden::diff::DiffOptions::default());
        let hardened = helm_harden::harden::diff::Between::Hardened;
        let _ = helm_harden::harden::diff::render_text(&diffs, hardened, true);
        let _ = helm_harden::harden::diff::render_markdown(&diffs, hardened);
    }
}
