//! Gloo's own values reference (`docs/content/reference/values.txt` upstream, generated from the
//! Go types behind the chart) made into the compact key/type tables embedded in the binary.
//!
//! The tables under `src/check/schema/tables/` are generated from `../shared/gloo-values-reference/`
//! by the test `values_tables_are_current` (`HH_UPDATE_TABLES=1 cargo test values_tables` writes
//! them); only key paths and types are kept, never upstream's descriptions.

use super::tree::{Node, Types, ITEM};
use std::sync::OnceLock;

/// The embedded tables: (major, minor) and the table text, oldest first.
const TABLES: &[((u32, u32), &str)] = &[
    ((1, 13), include_str!("tables/1.13.txt")),
    ((1, 14), include_str!("tables/1.14.txt")),
    ((1, 15), include_str!("tables/1.15.txt")),
    ((1, 16), include_str!("tables/1.16.txt")),
    ((1, 17), include_str!("tables/1.17.txt")),
    ((1, 18), include_str!("tables/1.18.txt")),
    ((1, 19), include_str!("tables/1.19.txt")),
    ((1, 20), include_str!("tables/1.20.txt")),
    ((1, 21), include_str!("tables/1.21.txt")),
    ((1, 22), include_str!("tables/1.22.txt")),
];

/// The minors that have a table, oldest first.
pub fn minors() -> impl Iterator<Item = (u32, u32)> {
    TABLES.iter().map(|(minor, _)| *minor)
}

/// The table of one minor, parsed the first time it is asked for, to look keys up in: the
/// other minors are read only to name the minors of a key the chart does not read.
pub fn table(minor: (u32, u32)) -> Option<&'static Node> {
    static PARSED: [OnceLock<Node>; TABLES.len()] = [const { OnceLock::new() }; TABLES.len()];
    let i = TABLES.iter().position(|(m, _)| *m == minor)?;
    Some(PARSED[i].get_or_init(|| parse(TABLES[i].1)))
}

/// The table of one minor as a tree of its own, to build a chart's schema on: parsing it
/// again costs what a copy of the parsed one would.
pub fn owned_table(minor: (u32, u32)) -> Option<Node> {
    TABLES.iter().find(|(m, _)| *m == minor).map(|(_, text)| parse(text))
}

fn parse(text: &str) -> Node {
    Node::from_table(text).expect("embedded tables are checked by a test")
}

/// The minor whose table stands for `minor`: itself, else the nearest one (the newer one on a
/// tie), and whether it is exact.
pub fn nearest(minor: (u32, u32)) -> ((u32, u32), bool) {
    if TABLES.iter().any(|(m, _)| *m == minor) {
        return (minor, true);
    }
    // Versions on one line (a major is far more than any minor count): 0.20 is nearest 1.13.
    let linear = |m: (u32, u32)| u64::from(m.0) * 1000 + u64::from(m.1);
    let distance = |m: (u32, u32)| linear(m).abs_diff(linear(minor));
    let best = minors().min_by_key(|m| (distance(*m), std::cmp::Reverse(*m))).expect("tables");
    (best, false)
}

/// Reads the upstream reference (`|Option|Type|Default Value|Description|` rows) into a tree.
/// A key listed with several types (an int-or-string port, a Kubernetes quantity's internals)
/// accepts each of them.
pub fn from_reference(text: &str) -> Result<Node, String> {
    let mut root = Node::default();
    for (i, line) in text.lines().enumerate() {
        let cells: Vec<&str> = line.split('|').collect();
        if cells.len() < 4 || !cells[0].is_empty() {
            continue;
        }
        let (option, go_type) = (cells[1].trim(), cells[2].trim());
        if option == "Option" || option.starts_with("---") || option.is_empty() {
            continue;
        }
        let mut segments = Vec::new();
        for part in option.split('.') {
            let name = part.trim_end_matches(ITEM);
            if name.is_empty() {
                return Err(format!("line {}: empty key in `{option}`", i + 1));
            }
            segments.push(name);
            segments.extend(std::iter::repeat_n(ITEM, (part.len() - name.len()) / ITEM.len()));
        }
        let node = root.at_mut(&segments);
        node.types = node.types.with(Types::from_go(go_type));
    }
    if root.fields.is_empty() {
        return Err("no `|Option|Type|...|` rows".into());
    }
    Ok(root)
}

/// A generated table's text: a header naming its source, then the tree.
pub fn table_text(source: &str, root: &Node) -> String {
    format!(
        "# Generated from Gloo's values reference {source} (key paths and types only) by the\n\
         # test values_tables_are_current; HH_UPDATE_TABLES=1 rewrites it. Do not edit.\n{}",
        root.to_table()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::schema::tree::ANY_KEY;

    #[test]
    fn reference_rows_become_a_tree() {
        let text =
            "|Option|Type|Default Value|Description|\n|------|----|-----------|-------------|\n\
            |gatewayProxies.NAME.podTemplate.probes|bool|false|x|\n\
            |settings.watchNamespaces[]|string||x|\n\
            |x.httpGet.port|int32||x|\n|x.httpGet.port|string||x|\n";
        let root = from_reference(text).unwrap();
        let probes = root.fields["gatewayProxies"].any_key.as_ref().unwrap().fields["podTemplate"]
            .fields["probes"]
            .types;
        assert_eq!(probes, Types::BOOL);
        let item = root.fields["settings"].fields["watchNamespaces"].item.as_ref().unwrap();
        assert_eq!(item.types, Types::STRING);
        assert_eq!(
            root.fields["x"].fields["httpGet"].fields["port"].types,
            Types::INT.with(Types::STRING)
        );
        assert!(!root.fields["gatewayProxies"].fields.contains_key(ANY_KEY));
    }

    #[test]
    fn a_minor_without_a_table_uses_the_nearest() {
        assert_eq!(nearest((1, 17)), ((1, 17), true));
        assert_eq!(nearest((1, 12)), ((1, 13), false));
        assert_eq!(nearest((1, 30)), ((1, 22), false));
        assert_eq!(nearest((0, 20)), ((1, 13), false));
    }

    /// The generator: the embedded tables are what the upstream references give. Run with
    /// `HH_UPDATE_TABLES=1` to write them after the references change.
    #[test]
    fn values_tables_are_current() {
        let Some(dir) =
            crate::test_files::shared_or_skip("gloo-values-reference", "values_tables_are_current")
        else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!("{} is unreadable", dir.display())
        };
        let update = std::env::var_os("HH_UPDATE_TABLES").is_some();
        let mut seen = Vec::new();
        for entry in entries {
            let path = entry.unwrap().path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
            let Some(version) = name.strip_suffix(".txt") else { continue };
            let v = crate::parse::version::Version::parse(version).expect("version file name");
            let root = from_reference(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let text = table_text(&format!("{version}.txt"), &root);
            let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("src/check/schema/tables/{}.{}.txt", v.major, v.minor));
            if update {
                std::fs::write(&out, &text).unwrap();
            } else {
                let current = std::fs::read_to_string(&out).unwrap_or_default();
                assert!(
                    current == text,
                    "{} is not what {name} gives: run HH_UPDATE_TABLES=1 cargo test values_tables",
                    out.display()
                );
                assert_eq!(table((v.major, v.minor)), Some(&root), "embedded table {version}");
            }
            seen.push((v.major, v.minor));
        }
        seen.sort_unstable();
        assert_eq!(seen, minors().collect::<Vec<_>>(), "one embedded table per reference");
    }
}
