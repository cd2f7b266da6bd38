//! Two renders of one chart in one helm process: the head's and the hardened one.
//!
//! Half of a render's CPU is helm starting up (Go's package initialisers, kubectl's among
//! them), paid again by every helm process. When more renders run at once than the machine has
//! cores (`review --base` renders three per target), that start-up is what the renders wait
//! for. A pair shares it: the chart is rendered twice as two subcharts of a generated wrapper
//! chart, and helm's output is split back into the two renders.
//!
//! The wrapper is built so that each copy renders as the chart does on its own:
//! - each copy keeps its own name (no alias: helm would rename the chart), one at
//!   `charts/<chart>` and one a level deeper, under `helm-harden-hardened`;
//! - each copy's values are the user's files with every line indented under the copy's key, in
//!   order, so helm merges them as it merges the files themselves;
//! - the wrapper has no values of its own, so no `global` flows down and each copy keeps the
//!   `global` of its own values;
//! - a chart with dependencies of its own is listed as a dependency of each copy's parent: helm
//!   evaluates `condition`s and aliases only below listed charts, each under its copy's path
//!   (listing costs helm a few milliseconds more, so a chart without dependencies is not);
//! - helm reads only the top chart's `.helmignore`, matching its rules against paths from the
//!   top: the chart's goes to the wrapper when every rule matches a file's name alone (as
//!   `*.bak` or `.git/` do), which is the same name in a copy.
//!
//! What a wrapper would change, the pair is not used for (the caller renders each on its own):
//! `--set` flags (their keys would need rewriting), `tags` at the top of the values (helm reads
//! them only at the top, where a copy's are not), `import-values` (merged with the user's values
//! by rules that changed between helm releases), a packaged chart, a `.helmignore` with a rule
//! on paths (`templates/x.yaml`, `/x`), a negation (`!x`), or a rule that would match the
//! wrapper's own directories, dotfiles in `templates/` (helm skips them only in the top chart),
//! a `kubeVersion` or `type: library` in Chart.yaml (checked only for the top chart), and values
//! files that are not one mapping. After the render, the split is refused if any document is
//! not under one of the two copies, or if the wrapper's name shows anywhere else in the output
//! (a template that prints its own path). Then, and when helm fails, the caller renders each on
//! its own: a failure gets helm's own message about the user's chart.

use crate::parse::values::ValuesFile;
use crate::parse::yaml::Node;
use crate::render::RenderRequest;
use std::path::Path;

/// The wrapper chart's name: it leads every `# Source:` line of the pair's output.
const WRAPPER: &str = "helm-harden-pair";
/// The subchart that holds the hardened copy, one level below the head's.
const HARDENED_PARENT: &str = "helm-harden-hardened";

/// Whether two renders of a target should share one helm process: when more renders run at once
/// than the machine has cores. `HELM_HARDEN_PAIR_RENDERS` set to `1` or `0` decides instead
/// (for measurement and tests).
pub fn worth_pairing(renders_at_once: usize) -> bool {
    match std::env::var("HELM_HARDEN_PAIR_RENDERS").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => crate::pipeline::default_jobs() < renders_at_once,
    }
}

/// When `pairs` (the run pairs its renders, [`worth_pairing`]), lowers the calling thread's
/// CPU priority to the lowest (nice 19), for the work beside the head's pair: the base's render
/// and check, reading the pull request. The pair is then the run's longest task (its helm process does
/// about 1.4 renders of work against the base's one) and there are fewer cores than renders, so
/// the rest should take only the CPU the pair leaves. Threads and processes the thread starts
/// (the base's git and helm) inherit it. `review --base` on gloo 1.17.38 (2 cores, 20 interleaved
/// runs): the pair 91.5 -> 88.1 ms, the run 104.5 -> 100.6 ms; nice 10 gained as much with helm 4
/// and less with helm 3 (1.63x against 1.58x of a bare render, 40 rounds). The cost: when other
/// programs keep every core busy, this work waits for them too (`HELM_HARDEN_PAIR_RENDERS=0` turns
/// pairing off). Linux only, where the priority is a thread's; elsewhere it is the whole
/// process's and is left alone.
pub fn yield_to_pair(pairs: bool) {
    // SAFETY: setpriority(2) on the calling thread (`who` 0 is the caller, a thread on Linux);
    // a failure only leaves the priority as it was.
    #[cfg(target_os = "linux")]
    if pairs {
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, 0, 19);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = pairs;
}

/// A wrapper chart in a private temporary directory, and the request that renders it.
pub struct PairPlan {
    /// Renders the wrapper: the head's request with the chart and values replaced.
    pub request: RenderRequest,
    /// `# Source:` prefix of the head's copy, and of the hardened copy.
    head_prefix: String,
    hardened_prefix: String,
    /// Removed when the plan is dropped (and on a signal, see [`crate::render::interrupt`]).
    _dir: tempfile::TempDir,
    _tracked: crate::render::interrupt::TrackedDir,
}

impl PairPlan {
    /// The wrapper for `head` and `hardened`, or None when the two cannot share a render
    /// faithfully (see the module's documentation). `hardened` must be `head` with values files
    /// added after the head's. `loaded` holds the first values files as the run already read
    /// them ([`ValuesFile::load`], in order); the others are read here.
    pub fn new(
        head: &RenderRequest,
        hardened: &RenderRequest,
        loaded: &[ValuesFile],
    ) -> Option<PairPlan> {
        let same_but_values = RenderRequest { values: head.values.clone(), ..hardened.clone() };
        if same_but_values != *head || !hardened.values.starts_with(&head.values) {
            return None;
        }
        if !head.set.is_empty() || !head.set_string.is_empty() || head.dependency_update {
            return None;
        }
        let ChartCopy { name, version, has_dependencies } = pairable_chart(&head.chart)?;
        let ignore = wrapper_helmignore(&head.chart)?;
        let mut head_values = Vec::new();
        let mut hardened_values = Vec::new();
        let read_here: Vec<ValuesFile> = hardened.values[loaded.len().min(hardened.values.len())..]
            .iter()
            .map(|path| ValuesFile::load(path).ok())
            .collect::<Option<_>>()?;
        for file in loaded.iter().chain(&read_here) {
            if sets_tags(&file.root) {
                return None;
            }
            let values = nestable(&file.text, &file.root)?;
            if head_values.len() < head.values.len() {
                head_values.push(nested(&values, &[&name]));
            }
            hardened_values.push(nested(&values, &[HARDENED_PARENT, &name]));
        }
        let dir = tempfile::Builder::new().prefix("helm-harden-pair-").tempdir().ok()?;
        let tracked = crate::render::interrupt::track_dir(dir.path().to_path_buf());
        let root = dir.path().join(WRAPPER);
        let chart = std::fs::canonicalize(&head.chart).ok()?;
        let deeper = root.join("charts").join(HARDENED_PARENT);
        std::fs::create_dir_all(deeper.join("charts")).ok()?;
        let chart_yaml = |name: &str, dependencies: &[(&str, &str)]| {
            let listed: String = dependencies
                .iter()
                .filter(|_| has_dependencies)
                .map(|(name, version)| format!("- name: {name}\n  version: {version:?}\n"))
                .collect();
            let listed =
                if listed.is_empty() { listed } else { format!("dependencies:\n{listed}") };
            format!("apiVersion: v2\nname: {name}\nversion: 0.0.0\n{listed}")
        };
        let root_deps = [(name.as_str(), version.as_str()), (HARDENED_PARENT, "0.0.0")];
        std::fs::write(root.join("Chart.yaml"), chart_yaml(WRAPPER, &root_deps)).ok()?;
        let deeper_deps = [(name.as_str(), version.as_str())];
        std::fs::write(deeper.join("Chart.yaml"), chart_yaml(HARDENED_PARENT, &deeper_deps))
            .ok()?;
        if let Some(ignore) = ignore {
            std::fs::write(root.join(".helmignore"), ignore).ok()?;
        }
        // The link's name is not the chart's: helm names a subchart by its Chart.yaml.
        std::os::unix::fs::symlink(&chart, root.join("charts").join("chart")).ok()?;
        std::os::unix::fs::symlink(&chart, deeper.join("charts").join("chart")).ok()?;
        let mut values = Vec::new();
        for (i, text) in head_values.iter().chain(&hardened_values).enumerate() {
            let path = dir.path().join(format!("values-{i}.yaml"));
            std::fs::write(&path, text).ok()?;
            values.push(path);
        }
        let request = RenderRequest {
            chart: root,
            values,
            max_bytes: head.max_bytes.saturating_mul(2),
            ..head.clone()
        };
        Some(PairPlan {
            request,
            head_prefix: format!("{WRAPPER}/charts/"),
            hardened_prefix: format!("{WRAPPER}/charts/{HARDENED_PARENT}/charts/"),
            _dir: dir,
            _tracked: tracked,
        })
    }

    /// The head's render and the hardened one from the wrapper's, each as helm prints the chart
    /// rendered on its own; None when the output cannot be split faithfully.
    pub fn split(&self, stream: &str) -> Option<(String, String)> {
        const MARK: &str = "---\n# Source: ";
        let mut starts: Vec<usize> = stream.match_indices(MARK).map(|(i, _)| i).collect();
        starts.retain(|&i| i == 0 || stream.as_bytes()[i - 1] == b'\n');
        // helm prints documents from the first byte; nothing to render prints a blank line.
        let before = &stream[..starts.first().copied().unwrap_or(stream.len())];
        if !(before.is_empty() || starts.is_empty() && before.trim().is_empty()) {
            return None;
        }
        // About half each: room for either without growing (and copying) as it fills.
        let half = stream.len() / 2 + stream.len() / 8;
        let (mut head, mut hardened) = (String::with_capacity(half), String::with_capacity(half));
        for (n, &start) in starts.iter().enumerate() {
            let end = starts.get(n + 1).copied().unwrap_or(stream.len());
            let path_and_rest = &stream[start + MARK.len()..end];
            // The hardened copy's prefix is the longer one: tried first.
            let (out, rest) = if let Some(rest) = path_and_rest.strip_prefix(&self.hardened_prefix)
            {
                (&mut hardened, rest)
            } else if let Some(rest) = path_and_rest.strip_prefix(&self.head_prefix) {
                (&mut head, rest)
            } else {
                return None;
            };
            if rest.contains(WRAPPER) {
                return None; // the wrapper shows in a document: not what the chart alone gives
            }
            out.push_str(MARK);
            out.push_str(rest);
        }
        // A copy with nothing to render prints what helm prints for that alone.
        for half in [&mut head, &mut hardened] {
            if half.is_empty() {
                half.push('\n');
            }
        }
        Some((head, hardened))
    }
}

/// What the wrapper says of a copy, from its Chart.yaml.
#[derive(Debug, PartialEq, Eq)]
struct ChartCopy {
    name: String,
    version: String,
    /// Chart.yaml (or a v1 chart's requirements.yaml) lists dependencies.
    has_dependencies: bool,
}

/// The chart as a copy in the wrapper, when it can be one (see the module's documentation).
fn pairable_chart(chart: &Path) -> Option<ChartCopy> {
    if !chart.is_dir() {
        return None;
    }
    if let Ok(entries) = std::fs::read_dir(chart.join("templates")) {
        if entries.flatten().any(|e| e.file_name().to_string_lossy().starts_with('.')) {
            return None;
        }
    }
    let text = crate::parse::input::read_text_lenient(
        &chart.join("Chart.yaml"),
        crate::parse::input::MAX_CHART_FILE_BYTES,
    )?;
    // Values a dependency exports to its parent (`import-values`) merge with the user's by
    // rules that changed between helm releases: not paired.
    let requirements = std::fs::read_to_string(chart.join("requirements.yaml")).ok();
    if text.contains("import-values")
        || requirements.as_deref().is_some_and(|r| r.contains("import-values"))
    {
        return None;
    }
    let parsed = crate::parse::yaml::parse_one(&text, 1).ok()?;
    let root = &parsed.root;
    if root.get("kubeVersion").is_some_and(|v| !v.is_null())
        || root.get("type").and_then(|t| t.as_str()) == Some("library")
    {
        return None;
    }
    let name = root.get("name")?.scalar_text()?;
    let version = root.get("version")?.scalar_text()?;
    let plain = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    let defaults = crate::parse::input::read_text_lenient(
        &chart.join("values.yaml"),
        crate::parse::input::MAX_CHART_FILE_BYTES,
    );
    let defaults = defaults.map(|text| crate::parse::yaml::parse_one(&text, 1).map(|p| p.root));
    if defaults.is_some_and(|root| root.map_or(true, |root| sets_tags(&root))) {
        return None; // tags, or defaults that do not parse: helm says what is wrong, alone
    }
    let ours = name == HARDENED_PARENT || name == WRAPPER;
    let listed = root.get("dependencies").is_some_and(|d| !d.items().is_empty());
    let has_dependencies = listed || requirements.is_some();
    (plain && !ours && !version.contains(['"', '\\', '\n'])).then_some(ChartCopy {
        name,
        version,
        has_dependencies,
    })
}

/// Whether values set `tags` at their top, which helm reads for every chart's dependencies
/// at the top of the values only.
fn sets_tags(root: &Node) -> bool {
    root.get("tags").is_some()
}

/// The wrapper's `.helmignore`: the chart's, when each of its rules matches a file by its name
/// alone. Some(None) when the chart has none; None when a rule is one the wrapper would apply
/// differently (see the module's documentation).
#[allow(clippy::option_option)]
fn wrapper_helmignore(chart: &Path) -> Option<Option<String>> {
    let path = chart.join(".helmignore");
    if !path.exists() {
        return Some(None);
    }
    let text =
        crate::parse::input::read_text_lenient(&path, crate::parse::input::MAX_CHART_FILE_BYTES)?;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = line.strip_suffix('/').unwrap_or(line);
        if name.is_empty() || name.contains('/') || name.starts_with('!') || name.contains("**") {
            return None;
        }
        // The wrapper's own names: a rule matching one would drop a copy, or the wrapper's
        // Chart.yaml, where the chart alone has no such name above it.
        let wrapper_names = ["Chart.yaml", "charts", "chart", HARDENED_PARENT];
        if wrapper_names.iter().any(|n| name_matches(name, n) != Some(false)) {
            return None;
        }
    }
    Some(Some(text))
}

/// Go's `filepath.Match` (what helm matches `.helmignore` rules with) on a name without a
/// separator: `*`, `?`, `[...]` classes (`^` negates, `a-z` ranges) and `\` escapes. None for
/// a malformed pattern.
fn name_matches(pattern: &str, name: &str) -> Option<bool> {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    fn class(p: &[char], c: char) -> Option<(bool, usize)> {
        // `p` starts after `[`: whether `c` is in the class, and the length up to `]`.
        let mut i = 0;
        let negated = p.first() == Some(&'^');
        if negated {
            i += 1;
        }
        let mut matched = false;
        let mut first = true;
        loop {
            let lo = *p.get(i)?;
            if lo == ']' && !first {
                return Some((matched != negated, i + 1));
            }
            first = false;
            let lo = if lo == '\\' {
                i += 1;
                *p.get(i)?
            } else {
                lo
            };
            i += 1;
            let hi = if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|&h| h != ']') {
                i += 1;
                let hi = if p[i] == '\\' {
                    i += 1;
                    *p.get(i)?
                } else {
                    p[i]
                };
                i += 1;
                hi
            } else {
                lo
            };
            matched |= lo <= c && c <= hi;
        }
    }
    fn go(p: &[char], n: &[char]) -> Option<bool> {
        match p.first() {
            None => Some(n.is_empty()),
            Some('*') => {
                for skip in 0..=n.len() {
                    if go(&p[1..], &n[skip..])? {
                        return Some(true);
                    }
                }
                Some(false)
            }
            Some('?') => Some(!n.is_empty() && go(&p[1..], &n[1..])?),
            Some('[') => {
                let Some(&c) = n.first() else { return class(&p[1..], ' ').map(|_| false) };
                let (inside, len) = class(&p[1..], c)?;
                Some(inside && go(&p[1 + len..], &n[1..])?)
            }
            Some('\\') => {
                let &lit = p.get(1)?;
                Some(n.first() == Some(&lit) && go(&p[2..], &n[1..])?)
            }
            Some(&lit) => Some(n.first() == Some(&lit) && go(&p[1..], &n[1..])?),
        }
    }
    go(&p, &n)
}

/// A values file that can go under a copy's key as it is (see [`nestable`]).
enum Nestable<'a> {
    /// An empty file, or comments only: no values.
    Empty,
    /// One mapping: its lines (a leading document start left out).
    Lines(&'a str),
}

/// Whether a values file's text (parsed as `root`) can be indented under a key without its
/// meaning changing: None for more than one document, a directive, or a document that is not
/// a mapping (helm then says what is wrong, alone).
fn nestable<'a>(text: &'a str, root: &Node) -> Option<Nestable<'a>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if root.is_null() {
        return Some(Nestable::Empty);
    }
    if !root.is_map() {
        return None;
    }
    let first_line_end = text.find('\n').map_or(text.len(), |i| i + 1);
    // A document start alone on the first line, or with a comment: nothing to indent.
    let start_only = |rest: &str| {
        rest.trim().is_empty() || rest.starts_with([' ', '\t']) && rest.trim().starts_with('#')
    };
    let body = match text[..first_line_end].strip_prefix("---") {
        Some(rest) if start_only(rest) => &text[first_line_end..],
        _ => text,
    };
    let marker = |l: &str| l.starts_with("---") || l.starts_with("...") || l.starts_with('%');
    (!body.lines().any(marker)).then_some(Nestable::Lines(body))
}

/// A values file's text under `keys` (`a: {b: <text>}`), its lines indented as they are, so
/// that helm reads the same values one level down.
fn nested(values: &Nestable, keys: &[&str]) -> String {
    let mut out = String::new();
    for (depth, key) in keys.iter().enumerate() {
        out.push_str(&"  ".repeat(depth));
        out.push_str(key);
        out.push(':');
        if depth + 1 < keys.len() {
            out.push('\n');
        }
    }
    let Nestable::Lines(text) = values else {
        out.push_str(" {}\n"); // `key:` alone would be null, which helm refuses for values
        return out;
    };
    out.push('\n');
    let indent = "  ".repeat(keys.len());
    for line in text.lines() {
        if !line.is_empty() {
            out.push_str(&indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Option<Node> {
        crate::parse::yaml::parse_one(text.strip_prefix('\u{feff}').unwrap_or(text), 1)
            .ok()
            .map(|p| p.root)
    }

    #[test]
    fn a_values_file_goes_under_its_copy_with_block_scalars_kept() {
        let text = "gateway:\n  enabled: true\nnote: |\n  one\n\n    two\nlist:\n- a\n";
        let under =
            |text, keys: &[&str]| nested(&nestable(text, &root(text).unwrap()).unwrap(), keys);
        assert_eq!(
            under(text, &["gloo"]),
            "gloo:\n  gateway:\n    enabled: true\n  note: |\n    one\n\n      two\n  list:\n  - a\n"
        );
        assert_eq!(
            under("a: 1\n", &[HARDENED_PARENT, "gloo"]),
            "helm-harden-hardened:\n  gloo:\n    a: 1\n"
        );
    }

    #[test]
    fn an_empty_values_file_gives_an_empty_mapping() {
        // `gloo:` alone would be null, and helm refuses a null where a chart's values go.
        let under = |text| nested(&nestable(text, &root(text).unwrap()).unwrap(), &["gloo"]);
        assert_eq!(under("# only a comment\n"), "gloo: {}\n");
        assert_eq!(under(""), "gloo: {}\n");
    }

    #[test]
    fn values_with_tags_at_the_top_are_not_paired() {
        let tags = |text| sets_tags(&root(text).unwrap());
        assert!(tags("a: 1\ntags:\n  x: true\n"));
        assert!(tags("\"tags\": {x: true}\n"));
        assert!(tags("{a: 1, tags: {x: true}}\n"), "a flow mapping: a line would not say");
        assert!(!tags("gloo:\n  tags: [a]\n# tags: no\n"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Chart.yaml"), "apiVersion: v2\nname: c\nversion: 1.0.0\n")
            .unwrap();
        let values = dir.path().join("v.yaml");
        std::fs::write(&values, "tags:\n  x: true\n").unwrap();
        let head =
            RenderRequest { chart: dir.path().into(), values: vec![values], ..Default::default() };
        let overlay = dir.path().join("o.yaml");
        std::fs::write(&overlay, "a: 1\n").unwrap();
        let hardened =
            RenderRequest { values: vec![head.values[0].clone(), overlay], ..head.clone() };
        assert!(PairPlan::new(&head, &hardened, &[]).is_none());
        std::fs::write(&head.values[0], "b: 1\n").unwrap();
        assert!(PairPlan::new(&head, &hardened, &[]).is_some());
    }

    #[test]
    fn what_indenting_would_change_is_refused() {
        let under = |text| nestable(text, &root(text)?).map(|values| nested(&values, &["gloo"]));
        assert_eq!(under("---\na: 1\n").unwrap(), "gloo:\n  a: 1\n");
        assert_eq!(under("--- # start\na: 1\n").unwrap(), "gloo:\n  a: 1\n");
        assert_eq!(under("\u{feff}a: 1\n").unwrap(), "gloo:\n  a: 1\n");
        assert!(under("a: 1\n---\nb: 2\n").is_none());
        assert!(under("a: 1\n...\n").is_none());
        assert!(under("%YAML 1.2\n---\na: 1\n").is_none());
        assert!(under("- a\n- b\n").is_none());
        assert!(under("just text\n").is_none());
        assert!(under("a: [1\n").is_none());
    }

    fn plan_for_split() -> PairPlan {
        let dir = tempfile::tempdir().unwrap();
        let tracked = crate::render::interrupt::track_dir(dir.path().to_path_buf());
        PairPlan {
            request: RenderRequest::default(),
            head_prefix: format!("{WRAPPER}/charts/"),
            hardened_prefix: format!("{WRAPPER}/charts/{HARDENED_PARENT}/charts/"),
            _dir: dir,
            _tracked: tracked,
        }
    }

    #[test]
    fn the_output_splits_into_the_two_renders_as_each_prints_alone() {
        let plan = plan_for_split();
        let stream = concat!(
            "---\n# Source: helm-harden-pair/charts/gloo/templates/a.yaml\nkind: A\n",
            "---\n# Source: helm-harden-pair/charts/helm-harden-hardened/charts/gloo/templates/a.yaml\n",
            "kind: A\nx: 1\n",
            // A template that renders nothing, then one that starts with a document marker.
            "---\n# Source: helm-harden-pair/charts/gloo/templates/b.yaml\n",
            "---\n---\n# Source: helm-harden-pair/charts/gloo/templates/c.yaml\nkind: C\n",
        );
        let (head, hardened) = plan.split(stream).unwrap();
        assert_eq!(
            head,
            concat!(
                "---\n# Source: gloo/templates/a.yaml\nkind: A\n",
                "---\n# Source: gloo/templates/b.yaml\n",
                "---\n---\n# Source: gloo/templates/c.yaml\nkind: C\n",
            )
        );
        assert_eq!(hardened, "---\n# Source: gloo/templates/a.yaml\nkind: A\nx: 1\n");
        // Nothing to render: helm prints one blank line, for the pair as for each alone.
        let nothing = Some(("\n".to_string(), "\n".to_string()));
        assert_eq!(plan.split("\n"), nothing);
        assert_eq!(plan.split(""), nothing);
        let only_head = "---\n# Source: helm-harden-pair/charts/g/t.yaml\nkind: A\n";
        assert_eq!(plan.split(only_head).unwrap().1, "\n");
    }

    #[test]
    fn an_output_that_is_not_two_clean_copies_is_refused() {
        let plan = plan_for_split();
        // Something before the first document, a document of neither copy, the wrapper's name
        // printed by a template.
        assert!(plan.split("warning\n---\n# Source: helm-harden-pair/charts/g/t.yaml\n").is_none());
        assert!(plan.split("---\n# Source: other/templates/t.yaml\nkind: A\n").is_none());
        assert!(plan
            .split("---\n# Source: helm-harden-pair/charts/g/t.yaml\nname: helm-harden-pair/charts/g/t.yaml\n")
            .is_none());
        assert!(plan.split("kind: A\n").is_none());
    }

    #[test]
    fn ignore_rules_are_matched_as_go_matches_them() {
        for (pattern, name, expected) in [
            ("*.bak", "a.bak", Some(true)),
            ("*.bak", "a.bak.x", Some(false)),
            ("*~", "charts", Some(false)),
            ("ch?rt", "chart", Some(true)),
            ("c*", "charts", Some(true)),
            ("[a-c]hart", "chart", Some(true)),
            ("[^a-c]hart", "chart", Some(false)),
            ("\\*x", "*x", Some(true)),
            ("[", "chart", None),
            (".git", "chart", Some(false)),
        ] {
            assert_eq!(name_matches(pattern, name), expected, "{pattern} {name}");
        }
    }

    #[test]
    fn a_helmignore_of_names_goes_to_the_wrapper_and_one_of_paths_stops_the_pair() {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path();
        assert_eq!(wrapper_helmignore(chart), Some(None));
        let names = "# backups\n*.bak\n.git/\n\n*-template.yaml\n";
        std::fs::write(chart.join(".helmignore"), names).unwrap();
        assert_eq!(wrapper_helmignore(chart), Some(Some(names.to_string())));
        for rule in ["templates/x.yaml", "/x", "!keep.yaml", "charts/", "c*", "Chart.*", "a**"] {
            std::fs::write(chart.join(".helmignore"), format!("*.bak\n{rule}\n")).unwrap();
            assert_eq!(wrapper_helmignore(chart), None, "{rule}");
        }
    }

    #[test]
    fn a_chart_the_wrapper_would_render_differently_is_not_paired() {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path();
        std::fs::create_dir(chart.join("templates")).unwrap();
        std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: gloo\nversion: 1.0.0\n")
            .unwrap();
        let gloo = Some(ChartCopy {
            name: "gloo".to_string(),
            version: "1.0.0".to_string(),
            has_dependencies: false,
        });
        assert_eq!(pairable_chart(chart), gloo);
        std::fs::write(chart.join("values.yaml"), "tags:\n  monitoring: false\n").unwrap();
        assert_eq!(pairable_chart(chart), None, "helm reads tags at the top only");
        std::fs::write(chart.join("values.yaml"), "gloo:\n  tags: x\n").unwrap();
        assert_eq!(pairable_chart(chart), gloo);
        std::fs::write(chart.join("templates/.hidden.yaml"), "kind: A\n").unwrap();
        assert_eq!(pairable_chart(chart), None, "helm skips templates/ dotfiles only at the top");
        std::fs::remove_file(chart.join("templates/.hidden.yaml")).unwrap();
        let imports = "dependencies:\n- name: x\n  version: 1.0.0\n  import-values: [data]\n";
        for extra in ["kubeVersion: '>=1.25'\n", "type: library\n", imports] {
            std::fs::write(
                chart.join("Chart.yaml"),
                format!("apiVersion: v2\nname: gloo\nversion: 1.0.0\n{extra}"),
            )
            .unwrap();
            assert_eq!(pairable_chart(chart), None, "{extra}");
        }
    }
}
