//! The values schema of the checked chart: every key it reads, and the type of each, so that a
//! key the chart silently ignores or a value of the wrong type is a finding at its values line
//! (helm itself rejects nothing: the Gloo charts ship no `values.schema.json`).
//!
//! The schema of a chart is the union of:
//! - for Gloo, the embedded table of its minor ([`mod@reference`]), or the nearest minor's (and the
//!   schema says so);
//! - the keys of the chart's own `values.yaml` (defaults the reference leaves out);
//! - its `values.schema.json`, when it has one (any chart).
//!
//! For an umbrella chart, each dependency's schema sits under its alias (Gloo's keys under
//! `gloo.`), the dependency's `condition` key belongs to the parent, and `global` is shared.

pub mod chart_files;
pub mod crd;
pub mod reference;
pub mod resources;
pub mod tree;
pub mod values_check;

use crate::parse::version::Version;
use chart_files::ChartDir;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use tree::{Node, Types};

/// The Gloo minor whose table was used, and whether it is the chart's own minor.
pub type TableUsed = ((u32, u32), bool);

/// What the checked chart reads from its values.
#[derive(Debug, Clone)]
pub struct ChartSchema {
    pub root: Node,
    /// Where Gloo's keys sit (`[]` for the gloo chart, `["gloo"]` for a dependency), when the
    /// chart is or carries Gloo.
    pub gloo_at: Option<Vec<String>>,
    /// The Gloo version the schema is for, as the chart gives it.
    pub gloo_version: Option<Version>,
    /// The minor whose table was used, and whether it is the chart's own.
    pub table: Option<TableUsed>,
    /// How messages name the chart: `chart gloo 1.17.38`.
    pub described: String,
}

impl ChartSchema {
    /// [`ChartSchema::for_chart`], built once per chart in a run: a config's value sets of one
    /// chart, and a failed render explained, share it.
    pub fn cached(chart: Option<&Path>, render_version: Option<Version>) -> Arc<ChartSchema> {
        static BUILT: BuiltOnce<(Option<std::path::PathBuf>, Option<Version>), ChartSchema> =
            BuiltOnce::new();
        // A check that needs the schema `pipeline::warm_schemas` is building waits for it.
        BUILT.get((chart.map(Path::to_path_buf), render_version), || {
            ChartSchema::for_chart(chart, render_version)
        })
    }

    /// The schema of a chart directory or packaged chart; `render_version` is the Gloo version
    /// seen in the render, used when the chart does not say.
    pub fn for_chart(chart: Option<&Path>, render_version: Option<Version>) -> ChartSchema {
        let dir = chart.and_then(ChartDir::read);
        match dir {
            Some(dir) => Self::from_dir(&dir, render_version),
            // A bare render: Gloo's own table, by the render's version.
            None => Self::gloo_only(render_version),
        }
    }

    fn gloo_only(version: Option<Version>) -> ChartSchema {
        let (mut root, table) = gloo_table(version);
        root.normalize();
        ChartSchema {
            root,
            gloo_at: Some(Vec::new()),
            gloo_version: version,
            table,
            described: describe("gloo", version, table),
        }
    }

    fn from_dir(dir: &ChartDir, render_version: Option<Version>) -> ChartSchema {
        let own = dir.own_schema();
        if dir.name == "gloo" {
            let version = Version::parse(&dir.version).or(render_version);
            let (mut root, table) = gloo_table(version);
            root.merge(&own);
            root.normalize();
            for read in &dir.template_reads {
                root.add_read(read);
            }
            let described = describe("gloo", version, table);
            return ChartSchema {
                root,
                gloo_at: Some(Vec::new()),
                gloo_version: version,
                table,
                described,
            };
        }
        let mut root = own;
        let mut gloo = None;
        for dep in &dir.dependencies {
            let below = root.at_mut(&[dep.key()]);
            match dir.dependency_chart(dep) {
                Some(sub) if sub.name == "gloo" => {
                    let version = Version::parse(&sub.version)
                        .or_else(|| Version::parse(&dep.version))
                        .or(render_version);
                    let (mut schema, table) = gloo_table(version);
                    schema.merge(&sub.own_schema());
                    schema.normalize();
                    for read in &sub.template_reads {
                        schema.add_read(read);
                    }
                    below.merge(&schema);
                    gloo = Some((dep.key().to_string(), version, table));
                }
                Some(sub) => {
                    let schema = sub.own_schema();
                    below.merge(&schema);
                }
                // Not vendored yet (`helm dependency build` not run): nothing to judge by.
                None => below.merge(&Node::any()),
            }
            // Subcharts share `global`: whatever a dependency reads there, the parent may set.
            if let Some(global) = root.fields[dep.key()].fields.get("global").cloned() {
                root.at_mut(&["global"]).merge(&global);
            }
            if let Some(condition) = &dep.condition {
                for path in condition.split(',') {
                    let segments: Vec<&str> = path.trim().split('.').collect();
                    root.at_mut(&segments).types = Types::BOOL;
                }
            }
            if let Some(tags) = &dep.tags {
                for tag in tags {
                    root.at_mut(&["tags", tag]).types = Types::BOOL;
                }
            }
        }
        root.normalize();
        for read in &dir.template_reads {
            root.add_read(read);
        }
        let (gloo_at, gloo_version, table, described) = match gloo {
            Some((key, version, table)) => (
                Some(vec![key]),
                version,
                table,
                format!("chart {} (gloo {})", dir.name, version_text(version, table)),
            ),
            None => (None, None, None, format!("chart {} {}", dir.name, dir.version)),
        };
        ChartSchema { root, gloo_at, gloo_version, table, described }
    }

    /// A sentence for when the table is not the chart's own minor, else None.
    pub fn version_note(&self) -> Option<String> {
        let ((major, minor), exact) = self.table?;
        if exact {
            return None;
        }
        Some(match self.gloo_version {
            Some(v) => format!(
                "no values table for gloo {}.{}: keys are checked against {major}.{minor}, the nearest known minor",
                v.major, v.minor
            ),
            None => format!(
                "the gloo version is unknown: keys are checked against {major}.{minor}, the newest known minor"
            ),
        })
    }
}

/// Values built once per key in a run, by the first thread that asks: one that asks for the
/// same key meanwhile waits for it (not building it again), other keys are built at the same
/// time (the lock is held only to find the key's slot).
pub(crate) struct BuiltOnce<K, V> {
    slots: OnceLock<Mutex<HashMap<K, Slot<V>>>>,
}

/// One key's value: set once, by whoever gets there first.
type Slot<V> = Arc<OnceLock<Arc<V>>>;

impl<K: std::hash::Hash + Eq, V> BuiltOnce<K, V> {
    pub(crate) const fn new() -> Self {
        BuiltOnce { slots: OnceLock::new() }
    }

    pub(crate) fn get(&self, key: K, build: impl FnOnce() -> V) -> Arc<V> {
        let slot = self
            .slots
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key)
            .or_default()
            .clone();
        slot.get_or_init(|| Arc::new(build())).clone()
    }
}

/// Gloo's embedded table for a version (the nearest minor's; the newest when unknown).
fn gloo_table(version: Option<Version>) -> (Node, Option<TableUsed>) {
    let wanted = version.map(|v| (v.major, v.minor));
    let (minor, exact) = match wanted {
        Some(m) => reference::nearest(m),
        None => (reference::minors().last().expect("tables"), false),
    };
    let table = reference::owned_table(minor).unwrap_or_default();
    (table, Some((minor, exact)))
}

fn version_text(version: Option<Version>, table: Option<TableUsed>) -> String {
    match (version, table) {
        (Some(v), _) => v.to_string(),
        (None, Some(((major, minor), _))) => format!("{major}.{minor} (assumed)"),
        (None, None) => "of unknown version".into(),
    }
}

fn describe(name: &str, version: Option<Version>, table: Option<TableUsed>) -> String {
    format!("chart {name} {}", version_text(version, table))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
    }

    #[test]
    fn the_mini_chart_is_gloo_with_its_own_minor() {
        let schema = ChartSchema::for_chart(Some(&fixture("fixtures/charts/gloo-mini")), None);
        assert_eq!(schema.gloo_at, Some(vec![]));
        assert_eq!(schema.table, Some(((1, 17), true)));
        assert!(schema.root.fields.contains_key("gatewayProxies"));
        assert_eq!(schema.version_note(), None);
    }

    #[test]
    fn an_umbrella_puts_gloo_under_its_alias_with_the_condition_key() {
        let schema = ChartSchema::for_chart(Some(&fixture("fixtures/charts/umbrella")), None);
        assert_eq!(schema.gloo_at, Some(vec!["gloo".to_string()]));
        let gloo = &schema.root.fields["gloo"];
        assert!(gloo.fields.contains_key("gatewayProxies"));
        assert!(gloo.fields.contains_key("settings"));
        // Gloo's globals are the parent's to set.
        assert!(schema.root.fields["global"].fields.contains_key("glooStats"));
        assert!(!schema.root.fields.contains_key("gatewayProxies"));
    }

    #[test]
    fn a_bare_render_of_unknown_version_uses_the_newest_table_and_says_so() {
        let schema = ChartSchema::for_chart(None, None);
        assert_eq!(schema.table, Some(((1, 22), false)));
        assert!(schema.version_note().unwrap().contains("newest known minor"));
        let old = ChartSchema::for_chart(None, Version::parse("1.12.3"));
        assert_eq!(
            old.version_note().unwrap(),
            "no values table for gloo 1.12: keys are checked against 1.13, the nearest known minor"
        );
    }
}
