//! `.helm-harden.yaml`: targets (a chart with named value sets), rules switched off or
//! re-graded, and suppressions with a reason and an expiry date.
//!
//! ```yaml
//! fail-on: medium
//! targets:
//!   - chart: charts/gloo            # relative to this file
//!     release: gloo
//!     namespace: gloo-system
//!     values:                       # value sets, one per environment
//!       staging: [values/common.yaml, values/staging.yaml]
//!       prod: values/prod.yaml
//! rules:
//!   GLOO-015: off                   # or a severity: info | low | medium | high
//! suppressions:
//!   - rule: ENVOY-009
//!     object: "Gateway/gateway-proxy*"
//!     reason: the listener carries websockets
//!     expires: 2027-03-31
//! ```
//!
//! Parsed with lines and columns so that every mistake (unknown key, unknown rule ID, bad date,
//! a key given twice) is reported where it is: `file:line:col` of the key, or of the value.
//! Unlike a values file (where helm's last value wins), a config with a key given twice is
//! refused: which of two suppressions or severities was meant is not for us to guess.

use crate::error::{Error, Result};
use crate::parse::yaml::{self, Node, Value};
use crate::rules::{self, Rule, Severity};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod inline;

pub use inline::{inline_suppressions, InlineSuppression};

pub const FILE_NAME: &str = ".helm-harden.yaml";

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file this came from (None: no config).
    pub path: Option<PathBuf>,
    pub fail_on: Option<Severity>,
    pub targets: Vec<TargetConfig>,
    /// Rule ID -> None (off) or a new severity.
    pub rules: BTreeMap<String, Option<Severity>>,
    pub suppressions: Vec<Suppression>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetConfig {
    pub name: String,
    pub chart: PathBuf,
    pub release: Option<String>,
    pub namespace: Option<String>,
    pub kube_version: Option<String>,
    /// Value set name -> files (resolved against the config's directory).
    pub value_sets: Vec<(String, Vec<PathBuf>)>,
    pub set: Vec<String>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub rule: String,
    /// `Kind/name` glob (`*` and `?`).
    pub object: String,
    pub reason: String,
    /// `YYYY-MM-DD`, last day the suppression holds.
    pub expires: Option<String>,
    pub line: usize,
}

impl Suppression {
    pub fn expired(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|e| e < today)
    }

    pub fn matches(&self, rule: &str, kind_name: &str) -> bool {
        self.rule.eq_ignore_ascii_case(rule) && glob_match(&self.object, kind_name)
    }
}

impl Config {
    /// The severity a rule reports with, or None when switched off.
    pub fn severity_of(&self, rule: &Rule) -> Option<Severity> {
        match self.rules.get(rule.id) {
            Some(None) => None,
            Some(Some(s)) => Some(*s),
            None => Some(rule.severity),
        }
    }

    /// Applies `--rule` (only these, when any is given) and `--skip-rule` (not these), as ruff's
    /// select and ignore: an unselected rule is switched off as `rules: {ID: off}` would. Each
    /// pattern is a rule ID or a glob of them (`ENVOY-01*`, case-insensitive); one that matches
    /// no rule is an error naming it, since a typo would otherwise select nothing or skip
    /// nothing in silence.
    pub fn select_rules(&mut self, select: &[String], skip: &[String]) -> Result<()> {
        let matching = |flag: &str, patterns: &[String]| -> Result<Vec<&'static str>> {
            let mut ids = Vec::new();
            for pattern in patterns {
                let upper = pattern.trim().to_ascii_uppercase();
                let before = ids.len();
                ids.extend(rules::RULES.iter().map(|r| r.id).filter(|id| glob_match(&upper, id)));
                if ids.len() == before {
                    return Err(Error::new(format!(
                        "{flag} {pattern}: matches no rule ID (see `helm-harden rules`)"
                    )));
                }
            }
            Ok(ids)
        };
        let selected = matching("--rule", select)?;
        let skipped = matching("--skip-rule", skip)?;
        for rule in rules::RULES {
            if (!select.is_empty() && !selected.contains(&rule.id)) || skipped.contains(&rule.id) {
                self.rules.insert(rule.id.to_string(), None);
            }
        }
        Ok(())
    }

    pub fn suppression_for(&self, rule: &str, kind_name: &str) -> Option<(usize, &Suppression)> {
        self.suppressions.iter().enumerate().find(|(_, s)| s.matches(rule, kind_name))
    }

    /// `--config FILE`, else `.helm-harden.yaml` found upward from `start`, else the default.
    pub fn discover(explicit: Option<&Path>, start: &Path) -> Result<Config> {
        if let Some(path) = explicit {
            return Config::load(path);
        }
        let mut dir = Some(start);
        while let Some(d) = dir {
            let candidate = d.join(FILE_NAME);
            if candidate.is_file() {
                return Config::load(&candidate);
            }
            dir = d.parent();
        }
        Ok(Config::default())
    }

    pub fn load(path: &Path) -> Result<Config> {
        let bytes = crate::parse::input::read_regular(
            path,
            crate::parse::input::MAX_CONFIG_BYTES,
            "config",
        )?;
        Config::parse(path, &crate::parse::input::utf8_text(path, bytes, "config is not UTF-8")?)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let parsed = yaml::parse_one_with_columns(text, 1)
            .map_err(|e| Error::at(path, e.line, e.col, format!("invalid YAML: {}", e.message)))?;
        if let Some(d) = parsed.duplicates.first() {
            return Err(Error::at(
                path,
                d.line,
                d.col.max(1),
                format!("duplicate key {} (first at line {})", d.key, d.first_line),
            ));
        }
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut config = Config { path: Some(path.to_path_buf()), ..Default::default() };
        let err = |(line, col): At, msg: String| Error::at(path, line, col.max(1), msg);
        let root = &parsed.root;
        if root.is_null() {
            return Ok(config);
        }
        if !root.is_map() {
            return Err(err(value_at(root), "the config must be a mapping".into()));
        }
        for entry in root.entries() {
            match entry.key.as_str() {
                "fail-on" => {
                    config.fail_on = Some(severity(&entry.value).ok_or_else(|| {
                        err(
                            value_at(&entry.value),
                            "fail-on must be one of info, low, medium, high".into(),
                        )
                    })?);
                }
                "targets" => {
                    for t in seq(&entry.value, "targets", &err)? {
                        config.targets.push(target(t, &base, &err)?);
                    }
                }
                "rules" => {
                    for r in map(&entry.value, "rules", &err)? {
                        let rule = known_rule(&r.key)
                            .ok_or_else(|| err(key_at(r), format!("unknown rule ID {}", r.key)))?;
                        let setting = match &r.value.value {
                            Value::Bool(false) => None,
                            Value::Str(s) if s == "off" => None,
                            _ => match severity(&r.value) {
                                Some(s) => Some(s),
                                None => match r.value.get("severity").and_then(severity) {
                                    Some(s) if r.value.entries().len() == 1 => Some(s),
                                    _ => return Err(err(value_at(&r.value), format!("rules.{}: expected off or a severity (info, low, medium, high)", r.key))),
                                },
                            },
                        };
                        config.rules.insert(rule.id.to_string(), setting);
                    }
                }
                "suppressions" => {
                    for s in seq(&entry.value, "suppressions", &err)? {
                        config.suppressions.push(suppression(s, &err)?);
                    }
                }
                other => {
                    return Err(err(
                        key_at(entry),
                        format!(
                        "unknown key `{other}` (expected fail-on, targets, rules, suppressions)"
                    ),
                    ))
                }
            }
        }
        Ok(config)
    }
}

/// Where a mistake is: 1-based line and column.
type At = (usize, usize);

type ErrFn<'a> = dyn Fn(At, String) -> Error + 'a;

/// Where a key is.
fn key_at(entry: &yaml::Entry) -> At {
    (entry.line(), entry.col())
}

/// Where a value starts.
fn value_at(node: &Node) -> At {
    (node.line(), node.col())
}

pub(super) fn known_rule(id: &str) -> Option<&'static Rule> {
    rules::find(id)
}

fn severity(node: &Node) -> Option<Severity> {
    node.as_str().and_then(Severity::parse)
}

fn seq<'n>(node: &'n Node, what: &str, err: &ErrFn) -> Result<&'n [Node]> {
    match &node.value {
        Value::Seq(items) => Ok(items),
        Value::Null => Ok(&[]),
        _ => Err(err(value_at(node), format!("{what} must be a list"))),
    }
}

fn map<'n>(node: &'n Node, what: &str, err: &ErrFn) -> Result<&'n [yaml::Entry]> {
    match &node.value {
        Value::Map(entries) => Ok(entries),
        Value::Null => Ok(&[]),
        _ => Err(err(value_at(node), format!("{what} must be a mapping"))),
    }
}

fn text(entry: &yaml::Entry, err: &ErrFn) -> Result<String> {
    entry
        .value
        .scalar_text()
        .ok_or_else(|| err(value_at(&entry.value), format!("{} must be a string", entry.key)))
}

fn files(node: &Node, base: &Path, err: &ErrFn) -> Result<Vec<PathBuf>> {
    match &node.value {
        Value::Str(s) => Ok(vec![base.join(s)]),
        Value::Seq(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(|s| base.join(s))
                    .ok_or_else(|| err(value_at(i), "values files must be strings".into()))
            })
            .collect(),
        _ => Err(err(value_at(node), "a value set is a file or a list of files".into())),
    }
}

fn target(node: &Node, base: &Path, err: &ErrFn) -> Result<TargetConfig> {
    let mut t = TargetConfig {
        name: String::new(),
        chart: PathBuf::new(),
        release: None,
        namespace: None,
        kube_version: None,
        value_sets: Vec::new(),
        set: Vec::new(),
        line: node.line(),
    };
    for e in map(node, "a target", err)? {
        match e.key.as_str() {
            "name" => t.name = text(e, err)?,
            "chart" => t.chart = base.join(text(e, err)?),
            "release" => t.release = Some(text(e, err)?),
            "namespace" => t.namespace = Some(text(e, err)?),
            "kube-version" => t.kube_version = Some(text(e, err)?),
            "values" => match &e.value.value {
                Value::Map(sets) => {
                    for s in sets {
                        t.value_sets.push((s.key.to_string(), files(&s.value, base, err)?));
                    }
                }
                _ => t.value_sets.push(("default".into(), files(&e.value, base, err)?)),
            },
            "set" => {
                for s in seq(&e.value, "set", err)? {
                    t.set.push(s.scalar_text().ok_or_else(|| err(value_at(s), "set entries are key=value strings".into()))?);
                }
            }
            other => return Err(err(key_at(e), format!("unknown target key `{other}` (expected name, chart, release, namespace, kube-version, values, set)"))),
        }
    }
    if t.chart.as_os_str().is_empty() {
        return Err(err(value_at(node), "a target needs `chart`".into()));
    }
    if t.name.is_empty() {
        t.name = t
            .chart
            .file_name()
            .map_or_else(|| "chart".into(), |n| n.to_string_lossy().into_owned());
    }
    Ok(t)
}

fn suppression(node: &Node, err: &ErrFn) -> Result<Suppression> {
    let mut s = Suppression {
        rule: String::new(),
        object: "*".into(),
        reason: String::new(),
        expires: None,
        line: node.line(),
    };
    for e in map(node, "a suppression", err)? {
        match e.key.as_str() {
            "rule" => {
                let id = text(e, err)?;
                let rule = known_rule(&id)
                    .ok_or_else(|| err(value_at(&e.value), format!("unknown rule ID {id}")))?;
                s.rule = rule.id.to_string();
            }
            "object" => s.object = text(e, err)?,
            "reason" => s.reason = text(e, err)?,
            "expires" => {
                let date = text(e, err)?;
                if !valid_date(&date) {
                    return Err(err(
                        value_at(&e.value),
                        format!("expires: `{date}` is not a date (YYYY-MM-DD)"),
                    ));
                }
                s.expires = Some(date);
            }
            other => {
                return Err(err(
                    key_at(e),
                    format!(
                    "unknown suppression key `{other}` (expected rule, object, reason, expires)"
                ),
                ))
            }
        }
    }
    if s.rule.is_empty() {
        return Err(err(value_at(node), "a suppression needs `rule`".into()));
    }
    if s.reason.trim().is_empty() {
        return Err(err(value_at(node), "a suppression needs a `reason`".into()));
    }
    Ok(s)
}

pub(super) fn valid_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) =
        (parts[0].parse::<u32>(), parts[1].parse::<u32>(), parts[2].parse::<u32>())
    else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    (1..=12).contains(&m) && d >= 1 && d <= days[(m - 1) as usize]
}

/// Today as `YYYY-MM-DD` (UTC).
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `*` matches any run of characters, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(Path::new("/repo/.helm-harden.yaml"), text)
    }

    #[test]
    fn full_config() {
        let c = parse("fail-on: medium\ntargets:\n  - chart: charts/gloo\n    namespace: gloo-system\n    values:\n      staging: [v/common.yaml, v/staging.yaml]\n      prod: v/prod.yaml\nrules:\n  GLOO-015: off\n  envoy-009: low\nsuppressions:\n  - rule: ENVOY-013\n    object: Gateway/gateway-proxy*\n    reason: legacy clients\n    expires: 2030-01-31\n").unwrap();
        assert_eq!(c.fail_on, Some(Severity::Medium));
        let t = &c.targets[0];
        assert_eq!(t.chart, PathBuf::from("/repo/charts/gloo"));
        assert_eq!(t.name, "gloo");
        assert_eq!(
            t.value_sets[0],
            (
                "staging".to_string(),
                vec![PathBuf::from("/repo/v/common.yaml"), PathBuf::from("/repo/v/staging.yaml")]
            )
        );
        assert_eq!(t.value_sets[1].0, "prod");
        assert_eq!(c.rules.get("GLOO-015"), Some(&None));
        assert_eq!(c.rules.get("ENVOY-009"), Some(&Some(Severity::Low)));
        assert!(c.suppressions[0].matches("ENVOY-013", "Gateway/gateway-proxy-ssl"));
        assert!(!c.suppressions[0].matches("ENVOY-013", "Gateway/other"));
        assert!(!c.suppressions[0].expired("2026-11-25"));
        assert!(c.suppressions[0].expired("2030-02-01"));
    }

    #[test]
    fn mistakes_are_reported_at_their_line_and_column() {
        let e = parse("targets: []\nrulez: {}\n").unwrap_err();
        assert_eq!(e.message(), "/repo/.helm-harden.yaml:2:1: unknown key `rulez` (expected fail-on, targets, rules, suppressions)");
        let e = parse("rules:\n  GLOO-999: off\n").unwrap_err();
        assert_eq!(e.message(), "/repo/.helm-harden.yaml:2:3: unknown rule ID GLOO-999");
        let e = parse("rules:\n  GLOO-015: critical\n").unwrap_err();
        assert!(
            e.message().contains(":2:13: rules.GLOO-015: expected off or a severity"),
            "the value: {e}"
        );
        let e =
            parse("suppressions:\n  - rule: GLOO-001\n    reason: x\n    expires: 2026-02-30\n")
                .unwrap_err();
        assert!(e.message().contains(":4:14: expires: `2026-02-30` is not a date"), "{e}");
        let e = parse("suppressions:\n  - rule: GLOO-005\n    object: \"Settings/*\"\n    reason: x\n    colour: red\n").unwrap_err();
        assert!(e.message().contains(":5:5: unknown suppression key `colour`"), "the key: {e}");
        let e = parse("fail-on: extreme\n").unwrap_err();
        assert!(e.message().contains(":1:10: fail-on must be one of"), "{e}");
        let e = parse("targets:\n  - chart: c\n    set: x=1\n").unwrap_err();
        assert!(e.message().contains(":3:10: set must be a list"), "{e}");
        let e = parse("suppressions:\n  - rule: GLOO-001\n").unwrap_err();
        assert!(
            e.message().contains(":2:5: a suppression needs a `reason`"),
            "the suppression's first key: {e}"
        );
        let e = parse("targets:\n  - values: x.yaml\n").unwrap_err();
        assert!(e.message().contains(":2:5: a target needs `chart`"), "{e}");
    }

    #[test]
    fn a_key_given_twice_is_refused_where_it_repeats() {
        let e = parse("rules:\n  GLOO-014: off\n  GLOO-014: high\n").unwrap_err();
        assert_eq!(
            e.message(),
            "/repo/.helm-harden.yaml:3:3: duplicate key GLOO-014 (first at line 2)"
        );
        let e = parse("fail-on: info\nfail-on: high\n").unwrap_err();
        assert_eq!(
            e.message(),
            "/repo/.helm-harden.yaml:2:1: duplicate key fail-on (first at line 1)"
        );
        let e =
            parse("suppressions:\n  - rule: GLOO-001\n    reason: a\n    reason: b\n").unwrap_err();
        assert_eq!(
            e.message(),
            "/repo/.helm-harden.yaml:4:5: duplicate key reason (first at line 3)"
        );
        assert!(parse("suppressions:\n  - rule: GLOO-001\n    reason: a\n  - rule: GLOO-001\n    reason: a\n").is_ok(), "the same keys in two list items");
    }

    #[test]
    fn an_inline_suppression_is_about_its_own_line_or_the_next_key() {
        let text =
            "a: 1 # helm-harden: ignore GLOO-019 -- own line\n# helm-harden: ignore glooo-7 -- x\n";
        let e = inline_suppressions(Path::new("v.yaml"), text).unwrap_err();
        assert_eq!(e.message(), "v.yaml:2:1: unknown rule ID glooo-7");
        let text = "a: 1 # helm-harden: ignore GLOO-019 -- own line\nb:\n  # helm-harden: ignore GLOO-020, GLOO-021 expires 2030-01-31 -- two\n  # another comment\n\n  c: 2\nd: \"# helm-harden: not a comment\"\n";
        let found = inline_suppressions(Path::new("v.yaml"), text).unwrap();
        let summary: Vec<(&str, usize, usize, Option<&str>)> = found
            .iter()
            .map(|s| {
                let t = &s.suppression;
                (t.rule.as_str(), t.line, s.key_line, t.expires.as_deref())
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("GLOO-019", 1, 1, None),
                ("GLOO-020", 3, 6, Some("2030-01-31")),
                ("GLOO-021", 3, 6, Some("2030-01-31"))
            ]
        );
        assert_eq!(found[1].suppression.reason, "two");
    }

    #[test]
    fn rule_selection_switches_off_what_is_not_selected() {
        let mut c = Config::default();
        c.select_rules(&["envoy-01*".into()], &["ENVOY-019".into()]).unwrap();
        let on: Vec<&str> =
            rules::RULES.iter().filter(|r| c.severity_of(r).is_some()).map(|r| r.id).collect();
        assert_eq!(on.len(), 9, "{on:?}");
        assert!(on.iter().all(|id| id.starts_with("ENVOY-01") && *id != "ENVOY-019"));
        let e = Config::default().select_rules(&[], &["GLOO-0?9?".into()]).unwrap_err();
        assert_eq!(
            e.message(),
            "--skip-rule GLOO-0?9?: matches no rule ID (see `helm-harden rules`)"
        );
    }

    #[test]
    fn dates_and_globs() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_782), "2026-11-25");
        assert!(valid_date("2024-02-29") && !valid_date("2023-02-29") && !valid_date("2024-13-01"));
        assert!(glob_match("Deployment/*", "Deployment/gateway-proxy"));
        assert!(glob_match("*/gateway-proxy?ssl", "Gateway/gateway-proxy-ssl"));
        assert!(!glob_match("Gateway/x", "Gateway/xy"));
    }
}
