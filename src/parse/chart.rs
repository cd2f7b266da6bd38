//! What we know about the chart being checked: its name, the Gloo version and where Gloo's
//! values live (top level, or under `gloo.` in an umbrella or Enterprise chart; HARDENING.md 1.4).

use crate::parse::model::{image_name, image_tag};
use crate::parse::version::Version;
use crate::parse::yaml::Node;
use crate::parse::Doc;
use std::path::{Path, PathBuf};

/// Facts about the checked chart, from Chart.yaml and the render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChartInfo {
    /// Chart name (Chart.yaml `name`), or `gloo` for a bare render.
    pub name: Option<String>,
    /// The chart's own version (Chart.yaml `version`).
    pub chart_version: Option<String>,
    pub path: Option<PathBuf>,
    /// Version of the Gloo chart that produced the render: the chart itself, its gloo
    /// dependency, or the `gloo` image tag.
    pub gloo_version: Option<Version>,
    /// Prefix of every Gloo values key: `""` for the gloo chart, `"gloo."` when gloo is a
    /// dependency (`global.*` keys never take it).
    pub values_prefix: String,
}

/// Reads `Chart.yaml` of a chart directory: (name, version).
pub fn read_chart_yaml(dir: &Path) -> Option<(String, String)> {
    let text = crate::parse::input::read_text_lenient(
        &dir.join("Chart.yaml"),
        crate::parse::input::MAX_CHART_FILE_BYTES,
    )?;
    let parsed = crate::parse::yaml::parse_one(&text, 1).ok()?;
    let name = parsed.root.get("name")?.scalar_text()?;
    let version = parsed.root.get("version").and_then(Node::scalar_text).unwrap_or_default();
    Some((name, version))
}

impl ChartInfo {
    /// Completes what Chart.yaml said with what the render shows.
    pub fn from_render(chart_dir: Option<&Path>, docs: &[Doc]) -> ChartInfo {
        let mut info = ChartInfo { path: chart_dir.map(Path::to_path_buf), ..Default::default() };
        if let Some((name, version)) = chart_dir.and_then(read_chart_yaml) {
            info.name = Some(name);
            info.chart_version = Some(version);
        }
        // `# Source: <parent>/charts/gloo/templates/...` means gloo is a dependency.
        let nested = docs.iter().filter_map(|d| d.template.as_deref()).find_map(|t| {
            let idx = t.find("/charts/gloo/")?;
            Some(t[..idx].to_string())
        });
        if nested.is_some() {
            info.values_prefix = "gloo.".to_string();
        }
        info.gloo_version = match (&info.name, &info.chart_version, nested.is_some()) {
            (Some(name), Some(v), false) if name == "gloo" => Version::parse(v),
            _ => None,
        }
        .or_else(|| {
            let dir = chart_dir?;
            let (_, v) = read_chart_yaml(&dir.join("charts").join("gloo"))?;
            Version::parse(&v)
        })
        .or_else(|| gloo_image_version(docs));
        if info.name.is_none() {
            // A packaged chart or a bare render: helm names the chart in `# Source: <chart>/...`.
            info.name = docs
                .iter()
                .find_map(|d| d.template.as_deref()?.split('/').next().map(str::to_string))
                .or_else(|| Some("gloo".into()));
        }
        info
    }
}

/// The tag of the `gloo` (or `gloo-ee`) control-plane image.
pub fn gloo_image_version(docs: &[Doc]) -> Option<Version> {
    docs.iter().filter(|d| crate::parse::model::is_workload(d)).find_map(|d| {
        crate::parse::model::containers(d).find_map(|c| {
            let image = c.get("image")?.as_str()?;
            let name = image_name(image);
            if matches!(name, "gloo" | "gloo-ee" | "gloo-ee-fips") {
                image_tag(image).and_then(Version::parse)
            } else {
                None
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_from_image_tag_for_bare_renders() {
        let docs = crate::parse::parse_stream(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: gloo}\nspec:\n  template:\n    spec:\n      containers:\n      - name: gloo\n        image: quay.io/solo-io/gloo:1.17.38\n",
        )
        .unwrap();
        let info = ChartInfo::from_render(None, &docs);
        assert_eq!(info.gloo_version, Some(Version::new(1, 17, 38)));
        assert_eq!(info.values_prefix, "");
    }

    #[test]
    fn umbrella_renders_get_the_gloo_prefix() {
        let docs = crate::parse::parse_stream("---\n# Source: platform/charts/gloo/templates/18-settings.yaml\napiVersion: gloo.solo.io/v1\nkind: Settings\nmetadata: {name: default}\n").unwrap();
        assert_eq!(ChartInfo::from_render(None, &docs).values_prefix, "gloo.");
    }
}
